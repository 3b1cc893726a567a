package dev.millrace.state;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.ValueState;
import org.checkerframework.checker.nullness.qual.Nullable;

/** A value stored directly under the cell's prefix, decoded in the backend's {@link CellCache}. */
final class RocksDbValueState<T> extends RocksDbState implements ValueState<T> {
  private final CellHandle<CachedValue<T>> cell;

  RocksDbValueState(RocksDbStateBackend backend, byte[] prefix, Coder<T> coder) {
    super(backend, prefix);
    this.cell =
        new CellHandle<>(backend, prefix, (cells, key) -> new CachedValue<>(cells, key, coder));
  }

  @Override
  public void write(T input) {
    cell.get().write(input);
  }

  @Override
  public @Nullable T read() {
    return cell.get().read(backend);
  }

  @Override
  public ValueState<T> readLater() {
    return this;
  }

  @Override
  public void clear() {
    cell.get().clear();
  }
}
