package dev.millrace.translation;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How much heap a batch job's groupings and waiting input may hold before they spill to disk. */
public interface GroupingOptions extends PipelineOptions {

  @Description(
      "Megabytes of heap that the GroupByKeys of one batch job, and its main input waiting for side "
          + "inputs, may hold together; past it, groupings go to sorted runs on disk, merged when the "
          + "input ends, and waiting input to spill files, so a job of any size finishes. -1 (the "
          + "default): a quarter of the JVM's maximum heap (-Xmx).")
  @Default.Long(-1L)
  Long getGroupingMemoryMb();

  void setGroupingMemoryMb(Long megabytes);

  /** The budget {@code options} give, in bytes. */
  static long groupingMemoryBytes(PipelineOptions options) {
    Long mb = options.as(GroupingOptions.class).getGroupingMemoryMb();
    if (mb == null || mb == -1) {
      return dev.millrace.state.MemoryBudget.defaultBytes();
    }
    if (mb < 1) {
      throw new IllegalArgumentException(
          "--groupingMemoryMb must be at least 1 (or -1 for a quarter of the heap), was " + mb);
    }
    return mb << 20;
  }
}
