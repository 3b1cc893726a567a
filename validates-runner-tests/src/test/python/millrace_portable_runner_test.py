"""Beam's portable runner suite (flink_runner_test.py, from the apache-beam wheel) on Millrace.

The three classes Beam judges its Flink job server with, each starting a Millrace job server jar
(MILLRACE_JOB_SERVER_JAR) on free loopback ports for its tests and stopping it after them, as
Beam's classes do with Flink's jar. Beam's own classes are not collected: this module imports the
module, not the classes.

Every test Beam or Flink skips runs here, as Beam wrote it: the skips were Flink's limits, not the
tests'. The tests Millrace does not pass are in sdk-exclusions/python.txt, each with its reason.
"""
import os

from apache_beam.runners.portability import flink_runner_test
from apache_beam.runners.portability.fn_api_runner import fn_runner_test


def _beams_own(name):
  """A test as FnApiRunnerTest wrote it, without the skip decorator it may carry."""
  test = fn_runner_test.FnApiRunnerTest.__dict__[name]
  return getattr(test, '__wrapped__', test)


def _job_server_jar():
  jar = os.environ.get('MILLRACE_JOB_SERVER_JAR')
  if not jar or not os.path.isfile(jar):
    raise RuntimeError(
        'MILLRACE_JOB_SERVER_JAR must name the job server jar '
        '(job-server/target/millrace-job-server.jar), not %r' % jar)
  return jar


class _OnMillrace(object):
  """What the three classes share: the server they start, and Beam's tests un-skipped."""
  @classmethod
  def _subprocess_command(cls, job_port, expansion_port):
    cls.expansion_port = expansion_port
    return [
        'java',
        '-Xmx2g',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-jar',
        _job_server_jar(),
        '--job-host=localhost',
        '--job-port=%d' % job_port,
        '--artifact-port=0',
        '--expansion-port=%d' % expansion_port,
        '--ui-port=0',
    ]

  # Skipped by Beam for every runner.
  test_large_elements = _beams_own('test_large_elements')
  test_pardo_side_input_sparse_dependencies = _beams_own(
      'test_pardo_side_input_sparse_dependencies')
  test_teststream_pardo_timers = _beams_own('test_teststream_pardo_timers')
  test_batch_pardo_trigger_flush = _beams_own('test_batch_pardo_trigger_flush')
  test_pardo_large_input = _beams_own('test_pardo_large_input')

  # Skipped by PortableRunnerTest ("Portable runners don't support drain yet").
  test_sdf_default_truncate_when_bounded = _beams_own(
      'test_sdf_default_truncate_when_bounded')
  test_sdf_default_truncate_when_unbounded = _beams_own(
      'test_sdf_default_truncate_when_unbounded')
  test_sdf_with_truncate = _beams_own('test_sdf_with_truncate')
  test_draining_sdf_with_sdf_initiated_checkpointing = _beams_own(
      'test_draining_sdf_with_sdf_initiated_checkpointing')

  # Skipped or weakened by FlinkRunnerTest.
  test_no_subtransform_composite = _beams_own('test_no_subtransform_composite')
  test_sdf_with_watermark_tracking = _beams_own(
      'test_sdf_with_watermark_tracking')
  test_custom_merging_window = _beams_own('test_custom_merging_window')
  test_custom_window_type = _beams_own('test_custom_window_type')
  test_flattened_side_input = _beams_own('test_flattened_side_input')
  test_metrics = _beams_own('test_metrics')

  def test_callbacks_with_exception(self):
    # Streaming finalizes bundles with checkpoints, as FlinkRunnerTestStreaming has it.
    self.enable_commit = self._streaming()
    _beams_own('test_callbacks_with_exception')(self)

  def test_register_finalizations(self):
    self.enable_commit = self._streaming()
    _beams_own('test_register_finalizations')(self)

  def _streaming(self):
    return isinstance(self, flink_runner_test.FlinkRunnerTestStreaming)


class MillraceRunnerTest(_OnMillrace, flink_runner_test.FlinkRunnerTest):
  pass


class MillraceRunnerTestOptimized(
    _OnMillrace, flink_runner_test.FlinkRunnerTestOptimized):
  # Cross-language transforms in a pipeline the SDK fused itself (Flink: #19461).
  test_external_transform = flink_runner_test.FlinkRunnerTest.test_external_transform
  test_expand_kafka_read = flink_runner_test.FlinkRunnerTest.test_expand_kafka_read
  test_expand_kafka_write = flink_runner_test.FlinkRunnerTest.test_expand_kafka_write
  test_sql = flink_runner_test.FlinkRunnerTest.test_sql


class MillraceRunnerTestStreaming(
    _OnMillrace, flink_runner_test.FlinkRunnerTestStreaming):
  pass
