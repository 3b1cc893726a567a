package dev.millrace.translation.operators;

import dev.millrace.plan.KeyGroups;
import dev.millrace.state.RocksDbStateInternals;
import dev.millrace.state.RocksDbTimerStore;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;

/**
 * Keyed state and timers of one operator in one subtask. State lives in the {@link
 * KeyedStateStore}. Timers live in RocksDB beside the state when the store has a {@link
 * RocksDbTimerStore} (due timers are found by range scans, never all in memory); otherwise in
 * memory per key, with the keys that have timers tracked so an advance visits only those. Keys are
 * told apart by their encoding, as Beam groups them.
 */
final class KeyedState<K> implements AutoCloseable {

  /** The state and timers of one key. */
  static final class Entry<K> {
    final EncodedKey id;
    final K key;
    final StateInternals state;
    final KeyTimers timers;
    /** The same object as {@link #timers} when timers stay in memory, else null. */
    final MemoryTimers memoryTimers;

    Entry(EncodedKey id, K key, StateInternals state, KeyTimers timers, MemoryTimers memoryTimers) {
      this.id = id;
      this.key = key;
      this.state = state;
      this.timers = timers;
      this.memoryTimers = memoryTimers;
    }
  }

  /** A timer that is due, and the key it belongs to. */
  record Due<K>(Entry<K> entry, TimerInternals.TimerData timer) {}

  private static final int MAX_IDLE_ROCKSDB_ENTRIES = 10_000;

  private final Coder<K> keyCoder;
  private final KeyedStateStore store;
  private final RocksDbTimerStore timerStore;
  /** In memory, keys without timers must keep their entry: it holds their state. */
  private final boolean retainWithoutTimers;
  private final Map<EncodedKey, Entry<K>> entries = new HashMap<>();
  private final Set<Entry<K>> withEventTimers = new HashSet<>();
  private final Set<Entry<K>> withProcessingTimers = new HashSet<>();
  private final ArrayDeque<Entry<K>> dueEvent = new ArrayDeque<>();
  private final ArrayDeque<Entry<K>> dueProcessing = new ArrayDeque<>();
  private Instant inputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant processingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant minimumHold;
  private long holdComputedAt = -1;
  private final KeyTimers.Clocks clocks =
      new KeyTimers.Clocks() {
        @Override
        public Instant inputWatermark() {
          return inputWatermark;
        }

        @Override
        public Instant processingTime() {
          return processingTime;
        }
      };

  KeyedState(
      Coder<K> keyCoder,
      Coder<? extends BoundedWindow> windowCoder,
      KeyedStateStore store,
      boolean retainWithoutTimers) {
    this.keyCoder = keyCoder;
    this.store = store;
    this.timerStore = store.timers(windowCoder);
    this.retainWithoutTimers = retainWithoutTimers;
  }

  Entry<K> entry(K key) throws Exception {
    return entry(EncodedKey.of(keyCoder, key), key);
  }

  private Entry<K> entry(EncodedKey id, K key) throws Exception {
    Entry<K> entry = entries.get(id);
    if (entry == null) {
      int keyGroup = KeyGroups.keyGroupOf(id.bytes(), KeyGroups.DEFAULT_MAX_KEY_GROUPS);
      StateInternals state = store.stateFor(key, id.bytes(), keyGroup);
      if (timerStore == null) {
        MemoryTimers timers = new MemoryTimers(clocks);
        entry = new Entry<>(id, key, state, timers, timers);
      } else {
        // The RocksDB store hands out RocksDB state; its key prefix addresses the key's timers too.
        byte[] keyPrefix = ((RocksDbStateInternals<?>) state).keyPrefix();
        entry = new Entry<>(id, key, state, new StoredTimers(keyPrefix), null);
      }
      entries.put(id, entry);
    }
    return entry;
  }

  /**
   * Call after working on a key. With RocksDB the entry is only a handle, kept while the map of
   * recent entries stays under its bound. In memory the entry goes once the key has no timers
   * (and, unless the operator retains state without timers, no state worth keeping). {@code
   * inUse}: the operator still holds the entry.
   */
  void track(Entry<K> entry, boolean inUse) {
    if (timerStore != null) {
      // With RocksDB an entry holds no data, only the key's prefixes and bound state cells, so
      // keeping recent ones saves rebuilding them for the next element of the same key. The map
      // is emptied when it grows past a bound, so its size does not follow the number of keys.
      if (!inUse && entries.size() > MAX_IDLE_ROCKSDB_ENTRIES) {
        entries.clear();
      }
      return;
    }
    MemoryTimers timers = entry.memoryTimers;
    boolean event = timers.hasTimers(TimeDomain.EVENT_TIME);
    boolean processing =
        timers.hasTimers(TimeDomain.PROCESSING_TIME) || timers.hasTimers(TimeDomain.SYNCHRONIZED_PROCESSING_TIME);
    if (event) {
      withEventTimers.add(entry);
    } else {
      withEventTimers.remove(entry);
    }
    if (processing) {
      withProcessingTimers.add(entry);
    } else {
      withProcessingTimers.remove(entry);
    }
    if (!event && !processing && !inUse && !retainWithoutTimers) {
      entries.remove(entry.id);
    }
  }

  void advanceInputWatermark(Instant watermark) throws Exception {
    inputWatermark = watermark;
    if (timerStore == null) {
      dueEvent.addAll(withEventTimers);
    }
  }

  void advanceProcessingTime(Instant now) throws Exception {
    processingTime = now;
    if (timerStore == null) {
      dueProcessing.addAll(withProcessingTimers);
    }
  }

  /** Removes and returns a due event-time timer; a key's timers come earliest first. */
  Due<K> pollEventTimer() throws Exception {
    if (timerStore != null) {
      return stored(timerStore.pollDue(TimeDomain.EVENT_TIME, inputWatermark));
    }
    while (!dueEvent.isEmpty()) {
      Entry<K> entry = dueEvent.peek();
      TimerInternals.TimerData timer = entry.memoryTimers.removeNextBefore(TimeDomain.EVENT_TIME, inputWatermark);
      if (timer != null) {
        return new Due<>(entry, timer);
      }
      dueEvent.poll();
    }
    return null;
  }

  /** Removes and returns a due processing-time (or synchronized processing-time) timer. */
  Due<K> pollProcessingTimer() throws Exception {
    if (timerStore != null) {
      RocksDbTimerStore.Due due = timerStore.pollDue(TimeDomain.PROCESSING_TIME, processingTime);
      if (due == null) {
        due = timerStore.pollDue(TimeDomain.SYNCHRONIZED_PROCESSING_TIME, processingTime);
      }
      return stored(due);
    }
    while (!dueProcessing.isEmpty()) {
      Entry<K> entry = dueProcessing.peek();
      TimerInternals.TimerData timer = entry.memoryTimers.removeNextBefore(TimeDomain.PROCESSING_TIME, processingTime);
      if (timer == null) {
        timer = entry.memoryTimers.removeNextBefore(TimeDomain.SYNCHRONIZED_PROCESSING_TIME, processingTime);
      }
      if (timer != null) {
        return new Due<>(entry, timer);
      }
      dueProcessing.poll();
    }
    return null;
  }

  private Due<K> stored(RocksDbTimerStore.Due due) throws Exception {
    if (due == null) {
      return null;
    }
    EncodedKey id = EncodedKey.ofBytes(due.key());
    Entry<K> entry = entries.get(id);
    if (entry == null) {
      entry = entry(id, CoderUtils.decodeFromByteArray(keyCoder, due.key()));
    }
    return new Due<>(entry, due.timer());
  }

  boolean hasProcessingTimers() {
    if (timerStore != null) {
      return timerStore.hasTimers(TimeDomain.PROCESSING_TIME)
          || timerStore.hasTimers(TimeDomain.SYNCHRONIZED_PROCESSING_TIME);
    }
    return !withProcessingTimers.isEmpty();
  }

  /**
   * The earliest of the output timestamps of pending event-time timers and the watermark holds in
   * state, or null. Only known in RocksDB; in memory (bounded input, where watermarks jump from
   * start to end) it is null.
   */
  Instant minimumHold() {
    // The engine asks on every step, but the answer can only change after a write.
    long modifications = store.modifications();
    if (modifications != holdComputedAt) {
      Instant timers = timerStore == null ? null : timerStore.minimumHold();
      Instant state = store.minimumWatermarkHold();
      minimumHold = timers == null || (state != null && state.isBefore(timers)) ? state : timers;
      holdComputedAt = modifications;
    }
    return minimumHold;
  }

  /** Makes the bundle's state and timer writes durable for later bundles. */
  void commit() {
    store.commit();
  }

  @Override
  public void close() {
    store.close();
  }

  /** The timers of one key, kept in the RocksDB timer store. */
  private final class StoredTimers extends KeyTimers {
    private final byte[] keyPrefix;

    StoredTimers(byte[] keyPrefix) {
      super(clocks);
      this.keyPrefix = keyPrefix;
    }

    @Override
    public void setTimer(TimerData timerData) {
      timerStore.set(keyPrefix, timerData);
    }

    @Override
    void delete(StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain) {
      timerStore.delete(keyPrefix, namespace, timerId, timerFamilyId);
    }
  }
}
