package dev.millrace.state.keyed;

import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.Operator;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.StateFigures;
import dev.millrace.plan.Watermarks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;

/**
 * Keyed state and timers of one operator in one subtask, kept in a {@link KeyedStateStore} (heap or
 * RocksDB): an entry per key in use, the operator's clocks, and the due timers of all keys in time
 * order. Keys are told apart by their encoding, as Beam groups them.
 */
public final class KeyedState<K> implements AutoCloseable {

  /** The state and timers of one key. */
  public static final class Entry<K> {
    public final EncodedKey id;
    public final K key;
    public final StateInternals state;
    public KeyTimers timers;

    Entry(EncodedKey id, K key, StateInternals state) {
      this.id = id;
      this.key = key;
      this.state = state;
    }
  }

  /** A timer that is due, and the key it belongs to. */
  public record Due<K>(Entry<K> entry, TimerInternals.TimerData timer) {}

  /** Entries kept at most for a RocksDB store, whose entries are only handles on its data. */
  private static final int MAX_IDLE_ROCKSDB_ENTRIES = 10_000;

  private final Coder<K> keyCoder;
  private final KeyedStateStore store;
  private final LongSupplier processingClock;
  private final LongSupplier synchronizedClock;
  private final boolean entriesAreHandles;
  private final Map<EncodedKey, Entry<K>> entries = new HashMap<>();
  private Instant inputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant processingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant outputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant synchronizedTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private final KeyTimers.Clocks clocks =
      new KeyTimers.Clocks() {
        @Override
        public Instant inputWatermark() {
          return inputWatermark;
        }

        @Override
        public Instant processingTime() {
          // The job's clock as it is now: a manual clock may have moved since timers last fired.
          return new Instant(processingClock.getAsLong());
        }

        @Override
        public Instant synchronizedProcessingTime() {
          return synchronizedTime;
        }

        @Override
        public Instant outputWatermark() {
          return outputWatermark;
        }
      };

  /** With no clock to hold synchronized processing time back: it follows the job's clock. */
  public KeyedState(Coder<K> keyCoder, KeyedStateStore store, LongSupplier processingClock) {
    this(keyCoder, store, processingClock, processingClock);
  }

  /**
   * @param synchronizedClock {@link
   *     dev.millrace.plan.OperatorContext#currentSynchronizedProcessingTime()}
   */
  public KeyedState(
      Coder<K> keyCoder,
      KeyedStateStore store,
      LongSupplier processingClock,
      LongSupplier synchronizedClock) {
    this.keyCoder = keyCoder;
    this.processingClock = processingClock;
    this.synchronizedClock = synchronizedClock;
    this.store = store;
    this.entriesAreHandles = store.entriesAreHandles();
  }

  public Entry<K> entry(K key) throws Exception {
    return entry(EncodedKey.of(keyCoder, key), key);
  }

  private Entry<K> entry(EncodedKey id, K key) {
    Entry<K> entry = entries.get(id);
    if (entry == null) {
      int keyGroup = KeyGroups.keyGroupOf(id.bytes(), KeyGroups.DEFAULT_MAX_KEY_GROUPS);
      entry = new Entry<>(id, key, store.stateFor(key, id.bytes(), keyGroup));
      entry.timers = store.timersFor(entry.state, clocks, entry);
      entries.put(id, entry);
    }
    return entry;
  }

  /**
   * Call after working on a key; {@code inUse}: the operator still holds the entry. A heap entry
   * goes once its key has no timers and no state left. RocksDB entries are only handles (prefixes
   * and bound cells), kept while the map of recent ones stays under a bound, so its size does not
   * follow the number of keys.
   */
  public void track(Entry<K> entry, boolean inUse) {
    if (inUse) {
      return;
    }
    if (entriesAreHandles) {
      if (entries.size() > MAX_IDLE_ROCKSDB_ENTRIES) {
        entries.clear();
      }
    } else if (store.holdsNothing(entry.state, entry.timers)) {
      entries.remove(entry.id);
    }
  }

  /** How much state and how many timers it holds, as its store can tell cheaply. */
  public StateFigures figures() {
    return store.figures(entries.size());
  }

  /** Keys with an entry now (heap: keys with state or timers, or in use). */
  int entryCount() {
    return entries.size();
  }

  public void advanceInputWatermark(Instant watermark) {
    inputWatermark = watermark;
  }

  /** The input watermark as timers last saw it: what has expired so far. */
  public Instant inputWatermark() {
    return inputWatermark;
  }

  /** A bundle starts: synchronized processing time is read now, and stays until the next one. */
  public void startBundle() {
    moveSynchronizedTime(synchronizedClock.getAsLong());
  }

  private void moveSynchronizedTime(long millis) {
    if (millis > synchronizedTime.getMillis()) {
      synchronizedTime = new Instant(millis);
    }
  }

  /**
   * The operator's output watermark is now {@code watermark}: runners-core (pane timing, late data)
   * sees it until the next call. Operators call it at the end of a bundle and after a watermark was
   * processed, the moments the engine reads their output watermark.
   */
  public void outputWatermarkIs(long watermark) {
    outputWatermark = BeamTime.toInstant(watermark);
  }

  /**
   * Processing-time timers strictly before {@code now} are due. Synchronized processing time moves
   * up to {@code now} too: a synchronized timer fires now, and a trigger that waits for that time
   * (AfterSynchronizedProcessingTime, every continuation of a processing-time trigger) checks that
   * the time is past it. Left at the start of a bundle still open since the timer was set, it is
   * not, the trigger consumes its timer without firing, and the early pane waits for the next
   * element or the end of the window.
   */
  public void advanceProcessingTime(Instant now) {
    processingTime = now;
    // The end of time (a drain) releases every timer; otherwise the engine may hold it back.
    moveSynchronizedTime(
        now.getMillis() == Long.MAX_VALUE
            ? now.getMillis()
            : Math.min(now.getMillis(), synchronizedClock.getAsLong()));
  }

  /** Removes and returns a due event-time timer, earliest first. */
  public Due<K> pollEventTimer() {
    return due(store.pollDue(TimeDomain.EVENT_TIME, inputWatermark));
  }

  /** Removes and returns a due processing-time (or synchronized processing-time) timer. */
  public Due<K> pollProcessingTimer() {
    KeyedStateStore.Due due = store.pollDue(TimeDomain.PROCESSING_TIME, processingTime);
    if (due == null) {
      due = store.pollDue(TimeDomain.SYNCHRONIZED_PROCESSING_TIME, synchronizedTime);
    }
    return due(due);
  }

  /**
   * Removes and returns the next due timer (event time first) if it belongs to {@code entry}'s key,
   * else null: the due timers of one key that come one after the other.
   */
  Due<K> pollNextOf(Entry<K> entry) {
    if (store.nextDueBelongsTo(TimeDomain.EVENT_TIME, inputWatermark, entry.state, entry)) {
      return pollEventTimer();
    }
    if (store.hasDue(TimeDomain.EVENT_TIME, inputWatermark)) {
      return null; // another key's event-time timer comes first
    }
    if (store.nextDueBelongsTo(TimeDomain.PROCESSING_TIME, processingTime, entry.state, entry)) {
      return due(store.pollDue(TimeDomain.PROCESSING_TIME, processingTime));
    }
    return null;
  }

  /** Removes and returns a processing-time timer of any time, due or not. */
  public Due<K> pollAnyProcessingTimer() {
    Instant endOfTime = new Instant(Long.MAX_VALUE);
    KeyedStateStore.Due due = store.pollDue(TimeDomain.PROCESSING_TIME, endOfTime);
    if (due == null) {
      due = store.pollDue(TimeDomain.SYNCHRONIZED_PROCESSING_TIME, endOfTime);
    }
    return due(due);
  }

  @SuppressWarnings("unchecked")
  private Due<K> due(KeyedStateStore.Due due) {
    if (due == null) {
      return null;
    }
    Entry<K> entry = (Entry<K>) due.owner();
    if (entry == null) {
      entry = entryOfEncoded(due.encodedKey());
    }
    return new Due<>(entry, due.timer());
  }

  /**
   * When the earliest processing-time timer may fall due (the job's clock in ms), or {@link
   * Operator#NO_PROCESSING_TIME}: a timer at t fires once the clock is past t. It may be early (a
   * RocksDB store answers from what it knows without a seek); a call then finds nothing due, and
   * the answer after it is exact.
   */
  public long nextProcessingTime() {
    long now = processingClock.getAsLong();
    // While synchronized processing time is held, its timers wait for what releases it: the end
    // of input arriving, which steps the subtask anyway.
    boolean synchronizedHeld = synchronizedClock.getAsLong() < now;
    long at =
        deadline(
            store.earliestTimerLowerBound(TimeDomain.PROCESSING_TIME),
            synchronizedHeld
                ? null
                : store.earliestTimerLowerBound(TimeDomain.SYNCHRONIZED_PROCESSING_TIME));
    if (at <= now) {
      // A bound that says "due" may only mean nothing was looked for above the last poll.
      at =
          deadline(
              store.earliestTimer(TimeDomain.PROCESSING_TIME),
              synchronizedHeld
                  ? null
                  : store.earliestTimer(TimeDomain.SYNCHRONIZED_PROCESSING_TIME));
    }
    return at;
  }

  private static long deadline(Instant processing, Instant synchronizedProcessing) {
    Instant earliest = KeyedStateStore.earlier(processing, synchronizedProcessing);
    long at = earliest == null ? Watermarks.END : BeamTime.toWatermark(earliest);
    // A timer at the end of time never fires.
    return at == Watermarks.END ? Operator.NO_PROCESSING_TIME : at + 1;
  }

  /**
   * {@code watermark} held back by the earliest of the holds in state and the output timestamps of
   * pending timers. Asked on every step: the exact minimum is only looked up when a cheap lower
   * bound of it is below {@code watermark}, which in a steady stream it rarely is.
   */
  public long holdBack(long watermark) {
    Instant bound = store.minimumHoldLowerBound();
    if (bound == null || BeamTime.toWatermark(bound) >= watermark) {
      return watermark;
    }
    Instant hold = store.minimumHold();
    return hold == null ? watermark : Math.min(watermark, BeamTime.toWatermark(hold));
  }

  /**
   * Writes the clocks timers compare with and, under {@code name}, the store's committed state and
   * timers. Between bundles only: the bundle's writes must be committed.
   */
  public void snapshot(SnapshotWriter out, String name) throws IOException {
    out.data().writeLong(inputWatermark.getMillis());
    out.data().writeLong(outputWatermark.getMillis());
    store.snapshotTo(out.directory(name), entries.values());
  }

  /** Takes back what {@link #snapshot} wrote, before the operator touched any key. */
  public void restore(SnapshotReader in, String name) throws IOException {
    inputWatermark = new Instant(in.data().readLong());
    outputWatermark = new Instant(in.data().readLong());
    entries.clear();
    store.restoreFrom(in.directory(name), this::entryOfEncoded);
  }

  /** The entry of a key known by its encoding only (a stored timer's, a checkpoint's). */
  private Entry<K> entryOfEncoded(byte[] encodedKey) {
    EncodedKey id = EncodedKey.ofBytes(encodedKey);
    Entry<K> entry = entries.get(id);
    if (entry != null) {
      return entry;
    }
    try {
      return entry(id, CoderUtils.decodeFromByteArray(keyCoder, encodedKey));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode a stored key with " + keyCoder, e);
    }
  }

  /** Makes the bundle's state and timer writes durable for later bundles. */
  public void commit() {
    store.commit();
  }

  @Override
  public void close() {
    store.close();
  }
}
