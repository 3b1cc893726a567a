package dev.millrace.translation.operators;

import dev.millrace.state.RocksDbStateBackend;
import dev.millrace.state.RocksDbStateInternals;
import dev.millrace.state.RocksDbTimerStore;
import dev.millrace.translation.StateBackendKind;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * The keyed state of one operator in one subtask. Writes of a bundle become visible to later
 * bundles at {@link #commit()}; {@link #close()} releases everything (a RocksDB store removes its
 * directory).
 */
abstract class KeyedStateStore implements AutoCloseable {

  abstract <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup);

  /** Where this store keeps timers, or null when timers stay in memory. */
  RocksDbTimerStore timers(Coder<? extends BoundedWindow> windowCoder) {
    return null;
  }

  /** The earliest watermark hold in this store's state, or null (none, or not tracked). */
  org.joda.time.Instant minimumWatermarkHold() {
    return null;
  }

  /** Changes whenever the store's contents may have; constant for stores that track no holds. */
  long modifications() {
    return 0;
  }

  void commit() {}

  @Override
  public void close() {}

  static KeyedStateStore create(StateBackendKind kind) {
    return kind == StateBackendKind.ROCKSDB ? new RocksDb() : new Memory();
  }

  private static final class Memory extends KeyedStateStore {
    @Override
    <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup) {
      return new MemoryKeyState<>(key);
    }
  }

  private static final class RocksDb extends KeyedStateStore {
    private final RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();

    @Override
    <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup) {
      return RocksDbStateInternals.forEncodedKey(backend, key, encodedKey, keyGroup);
    }

    @Override
    RocksDbTimerStore timers(Coder<? extends BoundedWindow> windowCoder) {
      return new RocksDbTimerStore(backend, windowCoder);
    }

    @Override
    org.joda.time.Instant minimumWatermarkHold() {
      return backend.minimumWatermarkHold();
    }

    @Override
    long modifications() {
      return backend.modifications();
    }

    @Override
    void commit() {
      backend.commit();
    }

    @Override
    public void close() {
      backend.close();
    }
  }
}
