"""Python pipelines PythonSdkTest submits to the job server, beside Beam's own wordcount example.

Usage: python pipelines.py <pipeline> <output file> [pipeline options...]
Each writes its result to the output file, one line per element, for the test to compare.
"""
import json
import os
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms import window


def _write(pcoll, path):
  """Appends each element, as JSON, to a file in the submitting process's file system (LOOPBACK
  runs the harness there); the test sorts the lines. Works for unbounded collections too."""
  return pcoll | 'Write' >> beam.Map(lambda e: _append(path, json.dumps(e)))


def _append(path, line):
  with open(path, 'a', encoding='utf-8') as f:
    f.write(line + '\n')


def test_stream_of_any(p, output):
  # No output type: the stream and its output use Python's pickled coder, which the runner
  # holds as bytes.
  stream = (
      TestStream().add_elements(['a', 'b']).advance_watermark_to(10).add_elements(
          ['c']).advance_watermark_to_infinity())
  _write(p | stream | beam.Map(lambda x: x.upper()), output)


def failing_stage(p, output):
  def fail(x):
    raise ValueError('deliberate failure on %s' % x)

  _ = (
      p
      | beam.Create([1, 2, 3])
      | 'StageA' >> beam.Map(lambda x: x + 1)
      | 'StageFails' >> beam.Map(fail)
      | 'StageC' >> beam.Map(lambda x: x))


def windowed_sum(p, output):
  _write(
      p
      | beam.Create([('a', 1, 1), ('a', 2, 5), ('b', 3, 12), ('a', 4, 15)])
      | beam.Map(lambda e: window.TimestampedValue((e[0], e[1]), e[2]))
      | beam.WindowInto(window.FixedWindows(10))
      | beam.CombinePerKey(sum)
      | beam.Map(
          lambda kv, w=beam.DoFn.WindowParam: [kv[0], kv[1], int(w.end)]),
      output)


class _BundleSize(beam.DoFn):
  """Emits how many elements each bundle had."""
  def start_bundle(self):
    self.count = 0

  def process(self, element):
    self.count += 1

  def finish_bundle(self):
    yield window.GlobalWindows.windowed_value(self.count)


def largest_bundle(p, output):
  # The runner decides the bundles: Millrace's --max_bundle_elements bounds them.
  _write(
      p
      | beam.Create(list(range(40)))
      | beam.ParDo(_BundleSize()),
      output)


class _CountPerWindow(beam.DoFn):
  """Counts a key's elements of a window in state; a timer at the window's end emits the count."""
  COUNT = beam.transforms.userstate.CombiningValueStateSpec('count', sum)
  END = beam.transforms.userstate.TimerSpec(
      'end', beam.transforms.userstate.TimeDomain.WATERMARK)

  def process(
      self,
      element,
      w=beam.DoFn.WindowParam,
      count=beam.DoFn.StateParam(COUNT),
      end=beam.DoFn.TimerParam(END)):
    count.add(1)
    end.set(w.end)

  @beam.transforms.userstate.on_timer(END)
  def emit(self, key=beam.DoFn.KeyParam, count=beam.DoFn.StateParam(COUNT)):
    yield key, count.read()


def _ticks(p, seconds):
  import time
  from apache_beam.transforms.periodicsequence import PeriodicImpulse
  # PeriodicImpulse windows its output itself when asked; here the pipeline does.
  start = time.time()
  if seconds is None:
    return p | PeriodicImpulse(start_timestamp=start, fire_interval=0.1)
  return p | PeriodicImpulse(
      start_timestamp=start, stop_timestamp=start + seconds, fire_interval=0.1)


def streaming_state_and_timers(p, output):
  # Ten ticks a second for four seconds, counted per one-second window in state, emitted by
  # event-time timers; the job ends once the impulse has.
  _write(
      _ticks(p, 4)
      | 'Window' >> beam.WindowInto(window.FixedWindows(1))
      | beam.Map(lambda t: ('ticks', 1))
      | beam.ParDo(_CountPerWindow())
      | beam.Map(lambda kv: kv[1]),
      output)


def unpicklable_in_harness(p, output):
  """A DoFn of a module only the submitting process can import: a harness elsewhere cannot
  unpickle it."""
  import importlib
  import os
  import tempfile
  directory = tempfile.mkdtemp()
  with open(os.path.join(directory, 'millrace_only_in_the_client.py'), 'w') as f:
    f.write(
        'import apache_beam as beam\n\n'
        'class Keep(beam.DoFn):\n'
        '  def process(self, x):\n'
        '    yield x\n')
  sys.path.insert(0, directory)
  module = importlib.import_module('millrace_only_in_the_client')
  _write(p | beam.Create([1, 2, 3]) | 'Unpicklable' >> beam.ParDo(module.Keep()), output)


def endless(p, output):
  """Runs until someone stops it."""
  _ = _ticks(p, None) | beam.Map(lambda t: t)


def harness_pids(p, output):
  # The harness process each element ran in, once each: how many harnesses the job's subtasks used.
  _write(
      p
      | beam.Create(list(range(1000)))
      | beam.Reshuffle()
      | 'Pid' >> beam.Map(lambda _: os.getpid())
      | beam.Distinct(),
      output)


PIPELINES = {
    'harness_pids': harness_pids,
    'unpicklable_in_harness': unpicklable_in_harness,
    'endless': endless,
    'streaming_state_and_timers': streaming_state_and_timers,
    'largest_bundle': largest_bundle,
    'test_stream_of_any': test_stream_of_any,
    'failing_stage': failing_stage,
    'windowed_sum': windowed_sum,
}


def endless_then_cancelled(options, output):
  """An endless stream, cancelled by its submitter once running; writes the state it ends in."""
  import time
  p = beam.Pipeline(options=options)
  _ = (
      _ticks(p, None)
      | 'Window' >> beam.WindowInto(window.FixedWindows(1))
      | beam.Map(lambda t: ('ticks', 1))
      | beam.ParDo(_CountPerWindow()))
  result = p.run()
  deadline = time.time() + 60
  while result.state != 'RUNNING' and time.time() < deadline:
    time.sleep(0.2)
  time.sleep(3)
  result.cancel()
  try:
    result.wait_until_finish()
  except RuntimeError as ended:
    # Beam's client raises for any end but DONE; the state says which.
    if 'CANCELLED' not in str(ended):
      raise
  with open(output, 'w', encoding='utf-8') as f:
    f.write(str(result.state) + '\n')


def main(argv):
  name, output = argv[1], argv[2]
  options = PipelineOptions(argv[3:])
  if name == 'endless_then_cancelled':
    endless_then_cancelled(options, output)
    return
  with beam.Pipeline(options=options) as p:
    PIPELINES[name](p, output)


if __name__ == '__main__':
  main(sys.argv)
