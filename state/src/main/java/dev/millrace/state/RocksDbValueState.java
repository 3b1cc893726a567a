package dev.millrace.state;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.ValueState;
import org.checkerframework.checker.nullness.qual.Nullable;

/** A value stored directly under the cell's prefix. */
final class RocksDbValueState<T> extends RocksDbState implements ValueState<T> {
  private final Coder<T> coder;

  RocksDbValueState(RocksDbStateBackend backend, byte[] prefix, Coder<T> coder) {
    super(backend, prefix);
    this.coder = coder;
  }

  @Override
  public void write(T input) {
    backend.put(prefix, Codec.encode(coder, input));
  }

  @Override
  public @Nullable T read() {
    byte[] bytes = backend.get(prefix);
    return bytes == null ? null : Codec.decode(coder, bytes);
  }

  @Override
  public ValueState<T> readLater() {
    return this;
  }

  @Override
  public void clear() {
    backend.delete(prefix);
  }
}
