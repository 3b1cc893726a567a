package dev.millrace.runner;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * Options of the Millrace runner.
 *
 * <p>Beam builds one options proxy from every options interface on the class path, and refuses a
 * getter that two interfaces declare with different return types or different {@code @Default}s.
 * So a getter whose name another runner also declares keeps that runner's type and default:
 * {@code getParallelism()} and {@code getStateBackend()} as the Flink runner declares them. Where
 * that cannot be done the name is our own: the bundle size is {@code --maxBundleElements}, since
 * Flink's {@code maxBundleSize} takes its default from a factory class of Flink's (a getter must
 * carry the same {@code @Default} in every interface, or none in all), Samza's is a primitive
 * {@code long} and Spark's {@code bundleSize} means bytes.
 */
public interface MillracePipelineOptions extends PipelineOptions, StreamingOptions {

  @Description(
      "Subtasks per vertex, and worker threads per job. -1 (the default) means the number of "
          + "available cores.")
  @Default.Integer(-1)
  Integer getParallelism();

  void setParallelism(Integer parallelism);

  @Description(
      "Where keyed state (stateful ParDo, GroupByKey) lives: 'memory' or 'rocksdb' (a RocksDB "
          + "instance per keyed operator and subtask, in a temp directory removed when the job "
          + "ends). Unset: memory for batch jobs, rocksdb for streaming ones.")
  String getStateBackend();

  void setStateBackend(String backend);

  @Description("Most elements a subtask processes in one bundle.")
  @Default.Integer(1000)
  int getMaxBundleElements();

  void setMaxBundleElements(int elements);

  @Description("Longest time, in milliseconds, a bundle stays open.")
  @Default.Long(100)
  long getMaxBundleMillis();

  void setMaxBundleMillis(long millis);
}
