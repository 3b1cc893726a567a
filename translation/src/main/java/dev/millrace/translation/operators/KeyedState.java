package dev.millrace.translation.operators;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * Keyed state and timers of one operator in one subtask. State lives in the {@link
 * KeyedStateStore} (memory or RocksDB); timers are kept in memory per key. Keys are told apart by
 * their encoding, as Beam groups them. Keys with pending timers are tracked so a watermark or
 * clock advance visits only those.
 */
final class KeyedState<K> implements AutoCloseable {

  /** The state and timers of one key. */
  static final class Entry<K> {
    final EncodedKey id;
    final K key;
    final StateInternals state;
    final InMemoryTimerInternals timers = new InMemoryTimerInternals();

    Entry(EncodedKey id, K key, StateInternals state) {
      this.id = id;
      this.key = key;
      this.state = state;
    }
  }

  private final Coder<K> keyCoder;
  private final KeyedStateStore store;
  private final Map<EncodedKey, Entry<K>> entries = new HashMap<>();
  private final Set<Entry<K>> withEventTimers = new HashSet<>();
  private final Set<Entry<K>> withProcessingTimers = new HashSet<>();
  private Instant inputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant processingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;

  KeyedState(Coder<K> keyCoder, KeyedStateStore store) {
    this.keyCoder = keyCoder;
    this.store = store;
  }

  Entry<K> entry(K key) throws Exception {
    EncodedKey id = EncodedKey.of(keyCoder, key);
    Entry<K> entry = entries.get(id);
    if (entry == null) {
      entry = new Entry<>(id, key, store.stateFor(key, keyCoder, id));
      // A new key's timers start where the subtask's clocks are, not at the beginning of time.
      entry.timers.advanceInputWatermark(inputWatermark);
      entry.timers.advanceOutputWatermark(inputWatermark);
      entry.timers.advanceProcessingTime(processingTime);
      entries.put(id, entry);
    }
    return entry;
  }

  /** Call after the key's timers may have changed; forgets keys with no timers and no state use. */
  void track(Entry<K> entry, boolean keepWithoutTimers) {
    boolean event = entry.timers.getNextTimer(TimeDomain.EVENT_TIME) != null;
    boolean processing =
        entry.timers.getNextTimer(TimeDomain.PROCESSING_TIME) != null
            || entry.timers.getNextTimer(TimeDomain.SYNCHRONIZED_PROCESSING_TIME) != null;
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
    if (!event && !processing && !keepWithoutTimers) {
      entries.remove(entry.id);
    }
  }

  /** Advances the input watermark of every key that has event-time timers; returns those keys. */
  List<Entry<K>> advanceInputWatermark(Instant watermark) throws Exception {
    inputWatermark = watermark;
    List<Entry<K>> due = new ArrayList<>(withEventTimers);
    for (Entry<K> entry : due) {
      entry.timers.advanceInputWatermark(watermark);
      entry.timers.advanceOutputWatermark(watermark);
    }
    return due;
  }

  /** Advances the clocks of every key that has processing-time timers; returns those keys. */
  List<Entry<K>> advanceProcessingTime(Instant now) throws Exception {
    processingTime = now;
    List<Entry<K>> due = new ArrayList<>(withProcessingTimers);
    for (Entry<K> entry : due) {
      entry.timers.advanceProcessingTime(now);
      entry.timers.advanceSynchronizedProcessingTime(now);
    }
    return due;
  }

  boolean hasProcessingTimers() {
    return !withProcessingTimers.isEmpty();
  }

  /** Makes the bundle's state writes durable for later bundles. */
  void commit() {
    store.commit();
  }

  @Override
  public void close() {
    store.close();
  }
}
