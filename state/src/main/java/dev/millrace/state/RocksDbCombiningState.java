package dev.millrace.state;

import java.util.Arrays;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * One accumulator stored under the cell's prefix, decoded in the backend's {@link CellCache}.
 * Absence means "empty", which lets isEmpty() distinguish a cleared cell from one holding an
 * identity accumulator.
 */
final class RocksDbCombiningState<InputT, AccumT, OutputT> extends RocksDbState
    implements CombiningState<InputT, AccumT, OutputT> {
  private final CombineFn<InputT, AccumT, OutputT> combineFn;
  private final CellHandle<CachedValue<AccumT>> cell;

  RocksDbCombiningState(
      RocksDbStateBackend backend,
      byte[] prefix,
      Coder<AccumT> accumCoder,
      CombineFn<InputT, AccumT, OutputT> combineFn) {
    super(backend, prefix);
    this.combineFn = combineFn;
    this.cell =
        new CellHandle<>(
            backend, prefix, (cells, key) -> new CachedValue<>(cells, key, accumCoder));
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
    CachedValue<AccumT> accumulator = cell.get();
    return accumulator.isPresent(backend)
        ? accumulator.read(backend)
        : combineFn.createAccumulator();
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
  public ReadableState<Boolean> isEmpty() {
    return LazyState.of(() -> !cell.get().isPresent(backend));
  }

  @Override
  public void clear() {
    cell.get().clear();
  }

  private void writeAccum(AccumT accum) {
    cell.get().write(accum);
  }
}
