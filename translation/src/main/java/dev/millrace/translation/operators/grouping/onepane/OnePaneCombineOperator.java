package dev.millrace.translation.operators.grouping.onepane;

import dev.millrace.plan.OperatorContext;
import dev.millrace.state.backend.StateBackend;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.WindowingStrategy;

/** A one-pane grouping that folds each window's input into an accumulator of a user CombineFn. */
abstract class OnePaneCombineOperator<K, InputT, AccumT, OutputT>
    extends OnePaneOperator<K, InputT, OutputT> {
  private final Combine.CombineFn<InputT, AccumT, OutputT> combineFn;

  /** This subtask's copy of the CombineFn, set in {@link #open}. */
  Combine.CombineFn<InputT, AccumT, OutputT> fn;

  OnePaneCombineOperator(
      KvCoder<K, InputT> inputCoder,
      WindowingStrategy<?, ?> windowing,
      Combine.CombineFn<InputT, AccumT, OutputT> combineFn,
      StateBackend stateBackend) {
    super(inputCoder, windowing, stateBackend);
    this.combineFn = combineFn;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    // Each subtask its own copy: user code need not be thread-safe.
    fn = SerializableUtils.clone(combineFn);
  }

  /**
   * Folds {@code input} into the accumulator {@code cell} holds, a new one if it holds none; true
   * when the accumulator is new (the caller sets the timer that will send it out).
   */
  boolean addTo(ValueState<AccumT> cell, InputT input) {
    AccumT accumulator = cell.read();
    boolean created = accumulator == null;
    if (created) {
      accumulator = fn.createAccumulator();
    }
    cell.write(fn.addInput(accumulator, input));
    return created;
  }
}
