package dev.millrace.translation;

import dev.millrace.plan.Operator;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.translation.operators.grouping.GroupByKeyOperator;
import dev.millrace.translation.operators.grouping.onepane.WindowGroupOperator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.WindowingStrategy;

/** The operator of a GroupByKey that is not grouped once at the end, on either path. */
public final class StreamingGroupByKey {
  private StreamingGroupByKey() {}

  /**
   * One pane per window under Beam's defaults (windows that never merge, the default trigger, no
   * allowed lateness, end-of-window timestamps) without ReduceFnRunner; any other windowing through
   * it.
   */
  public static Operator operator(
      KvCoder<?, ?> coder,
      WindowingStrategy<?, ?> windowing,
      PipelineOptions options,
      StateBackend stateBackend) {
    return WindowGroupOperator.applies(windowing)
        ? new WindowGroupOperator<>(coder, windowing, stateBackend)
        : GroupByKeyOperator.grouping(coder, windowing, options, stateBackend);
  }
}
