package dev.millrace.state;

import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.State;

/** Base of every state cell: all of a cell's data lies under one key prefix. */
abstract class RocksDbState implements State {
  final RocksDbStateBackend backend;
  final byte[] prefix;

  RocksDbState(RocksDbStateBackend backend, byte[] prefix) {
    this.backend = backend;
    this.prefix = prefix;
  }

  @Override
  public void clear() {
    backend.deletePrefix(prefix);
  }

  /** Lazy emptiness check shared by the collection-like cells. */
  public ReadableState<Boolean> isEmpty() {
    return LazyState.of(() -> !backend.hasKeyWithPrefix(prefix));
  }
}
