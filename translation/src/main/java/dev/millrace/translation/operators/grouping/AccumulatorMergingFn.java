package dev.millrace.translation.operators.grouping;

import java.util.List;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/**
 * A user's CombineFn seen from after a partial combine: its inputs are already accumulators, so
 * adding one merges it. The final half of a lifted combine in streaming runs this through
 * ReduceFnRunner's combining reduce function, one accumulator per key and window in state.
 */
public final class AccumulatorMergingFn<AccumT, OutputT>
    extends Combine.CombineFn<AccumT, AccumT, OutputT> {
  private final Combine.CombineFn<?, AccumT, OutputT> fn;
  private final Coder<AccumT> accumulatorCoder;

  public AccumulatorMergingFn(
      Combine.CombineFn<?, AccumT, OutputT> fn, Coder<AccumT> accumulatorCoder) {
    this.fn = fn;
    this.accumulatorCoder = accumulatorCoder;
  }

  @Override
  public AccumT createAccumulator() {
    return fn.createAccumulator();
  }

  @Override
  public AccumT addInput(AccumT accumulator, AccumT input) {
    return fn.mergeAccumulators(List.of(accumulator, input));
  }

  @Override
  public AccumT mergeAccumulators(Iterable<AccumT> accumulators) {
    return fn.mergeAccumulators(accumulators);
  }

  @Override
  public AccumT compact(AccumT accumulator) {
    return fn.compact(accumulator);
  }

  @Override
  public OutputT extractOutput(AccumT accumulator) {
    return fn.extractOutput(accumulator);
  }

  @Override
  public Coder<AccumT> getAccumulatorCoder(CoderRegistry registry, Coder<AccumT> inputCoder) {
    return accumulatorCoder;
  }

  @Override
  public Coder<OutputT> getDefaultOutputCoder(CoderRegistry registry, Coder<AccumT> inputCoder)
      throws CannotProvideCoderException {
    throw new CannotProvideCoderException("the output coder is the Combine's own output coder");
  }
}
