package dev.millrace.runner;

import dev.millrace.translation.StateBackendKind;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of the Millrace runner. */
public interface MillracePipelineOptions extends PipelineOptions {

  @Description("Subtasks per vertex, and worker threads per job. Defaults to the number of available cores.")
  @Default.InstanceFactory(AvailableCores.class)
  int getParallelism();

  void setParallelism(int parallelism);

  @Description(
      "Where keyed state (stateful ParDo, GroupByKey) lives: MEMORY (default for bounded input) or "
          + "ROCKSDB (a RocksDB instance per keyed operator and subtask, in a temp directory removed "
          + "when the job ends).")
  @Default.Enum("MEMORY")
  StateBackendKind getStateBackend();

  void setStateBackend(StateBackendKind backend);

  @Description("Most elements a subtask processes in one bundle.")
  @Default.Integer(1000)
  int getMaxBundleSize();

  void setMaxBundleSize(int size);

  @Description("Longest time, in milliseconds, a bundle stays open.")
  @Default.Long(100)
  long getMaxBundleMillis();

  void setMaxBundleMillis(long millis);

  /** The number of cores the JVM may use. */
  class AvailableCores implements DefaultValueFactory<Integer> {
    @Override
    public Integer create(PipelineOptions options) {
      return Runtime.getRuntime().availableProcessors();
    }
  }
}
