package dev.millrace.state;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.ReadableState;

/**
 * Each element under its own key, sub-key = 8-byte sequence number, so adding never rewrites the
 * bag and iteration returns elements in insertion order. Elements added since the last write-out
 * are held in the backend's {@link CellCache} ({@link CachedBag}).
 */
final class RocksDbBagState<T> extends RocksDbState implements BagState<T> {
  private final CellHandle<CachedBag<T>> cell;

  RocksDbBagState(RocksDbStateBackend backend, byte[] prefix, Coder<T> elemCoder) {
    super(backend, prefix);
    this.cell =
        new CellHandle<>(
            backend, prefix, (cells, key) -> new CachedBag<>(cells, key, elemCoder, backend));
  }

  @Override
  public void add(T value) {
    cell.get().add(backend, value);
  }

  @Override
  public Iterable<T> read() {
    return cell.get().read(backend);
  }

  @Override
  public ReadableState<Boolean> isEmpty() {
    return LazyState.of(() -> cell.get().isEmpty(backend));
  }

  @Override
  public void clear() {
    cell.get().clear(backend);
  }

  @Override
  public BagState<T> readLater() {
    return this;
  }
}
