package dev.millrace.state;

import java.util.Arrays;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * One accumulator stored under the cell's prefix. Absence means "empty", which lets isEmpty()
 * distinguish a cleared cell from one holding an identity accumulator.
 */
final class RocksDbCombiningState<InputT, AccumT, OutputT> extends RocksDbState
    implements CombiningState<InputT, AccumT, OutputT> {
  private final Coder<AccumT> accumCoder;
  private final CombineFn<InputT, AccumT, OutputT> combineFn;

  RocksDbCombiningState(
      RocksDbStateBackend backend,
      byte[] prefix,
      Coder<AccumT> accumCoder,
      CombineFn<InputT, AccumT, OutputT> combineFn) {
    super(backend, prefix);
    this.accumCoder = accumCoder;
    this.combineFn = combineFn;
  }

  @Override
  public void add(InputT value) {
    writeAccum(combineFn.addInput(getAccum(), value));
  }

  @Override
  public OutputT read() {
    return combineFn.extractOutput(getAccum());
  }

  @Override
  public AccumT getAccum() {
    byte[] bytes = backend.get(prefix);
    return bytes == null ? combineFn.createAccumulator() : Codec.decode(accumCoder, bytes);
  }

  @Override
  public void addAccum(AccumT accum) {
    writeAccum(combineFn.mergeAccumulators(Arrays.asList(getAccum(), accum)));
  }

  @Override
  public AccumT mergeAccumulators(Iterable<AccumT> accumulators) {
    return combineFn.mergeAccumulators(accumulators);
  }

  @Override
  public CombiningState<InputT, AccumT, OutputT> readLater() {
    return this;
  }

  @Override
  public void clear() {
    backend.delete(prefix);
  }

  private void writeAccum(AccumT accum) {
    backend.put(prefix, Codec.encode(accumCoder, accum));
  }
}
