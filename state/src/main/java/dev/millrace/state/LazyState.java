package dev.millrace.state;

import java.util.function.Supplier;
import org.apache.beam.sdk.state.ReadableState;

/**
 * A {@link ReadableState} that reads when {@link #read()} is called, so it reflects writes made
 * after it was created. Prefetching would buy nothing: RocksDB reads are local.
 */
final class LazyState<T> implements ReadableState<T> {
  private final Supplier<T> reader;

  private LazyState(Supplier<T> reader) {
    this.reader = reader;
  }

  static <T> ReadableState<T> of(Supplier<T> reader) {
    return new LazyState<>(reader);
  }

  @Override
  public T read() {
    return reader.get();
  }

  @Override
  public ReadableState<T> readLater() {
    return this;
  }
}
