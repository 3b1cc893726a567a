package dev.millrace.translation;

import dev.millrace.plan.Plan;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.translation.metrics.JobMetrics;

/**
 * A pipeline ready to run: its plan, where its user metrics will be collected, and how it runs.
 *
 * @param streaming the job runs the streaming way (unbounded input or {@code --streaming=true})
 * @param stateBackend where its keyed state lives
 * @param testClockStart null, or a TestStream drives the job: it needs the manual clock, starting
 *     at this time (ms)
 * @param fusedTransforms by operator name, the Beam transforms an operator runs when they are more
 *     than its name says (a portable job's stage: the transforms fused into it); empty for the rest
 */
public record TranslatedJob(
    Plan plan,
    JobMetrics metrics,
    boolean streaming,
    StateBackend stateBackend,
    Long testClockStart,
    java.util.Map<String, java.util.List<String>> fusedTransforms) {

  public TranslatedJob(
      Plan plan,
      JobMetrics metrics,
      boolean streaming,
      StateBackend stateBackend,
      Long testClockStart) {
    this(plan, metrics, streaming, stateBackend, testClockStart, java.util.Map.of());
  }

  /** The Beam transforms operator {@code name} runs: its own name unless it fuses several. */
  public java.util.List<String> transformsOf(String name) {
    return fusedTransforms.getOrDefault(name, java.util.List.of(name));
  }

  /**
   * Where a TestStream's processing time starts in a Java pipeline, as Beam's DirectRunner starts
   * it: user code reads processing time from the runner there.
   */
  public static final long TEST_CLOCK_START =
      org.apache.beam.sdk.transforms.windowing.BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();

  public boolean usesTestStream() {
    return testClockStart != null;
  }
}
