package dev.millrace.state;

import java.util.Arrays;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The timers of one operator, in the same RocksDB as its state, under prefixes above every key
 * group (key groups stay below 0x8000). Three indexes:
 *
 * <ul>
 *   <li>by identity {@code [0x90][identity]}: the timer's domain, timestamp and output timestamp,
 *       so setting a timer again replaces it;
 *   <li>by time, one per domain {@code [0x91|0x92|0x93][timestamp][identity]}: due timers are the
 *       first keys of a range scan, never all timers in memory;
 *   <li>by output timestamp {@code [0x94][output timestamp][identity]}, for timers of every domain
 *       (what a processing-time timer emits carries its output timestamp too): its first key is the
 *       operator's minimum hold.
 * </ul>
 *
 * The identity is {@code [key group][key][namespace][timer id][timer family]}, the key as in {@link
 * StateKeys} (a huge key by dictionary reference), the rest length-prefixed. Timers sit outside the
 * key-group ranges: moving a key group moves its timers by scanning the identity index, which is
 * itself ordered by key group.
 *
 * <p>New timers are first held on the heap ({@link HeldTimers}) and reach these indexes only at the
 * backend's {@link RocksDbStateBackend#commit()} (before each checkpoint) or when more than {@link
 * #MAX_HELD} are held and the heap budget the cell caches share ({@link CellCache#SHARED}) lends no
 * room for more. Most timers (a window's end, a key's timeout) are set and fire, or are set again,
 * between two checkpoints: held, they cost no read, write or seek of the database. Every query
 * looks at both; a timer is held or stored, never both.
 */
public final class RocksDbTimerStore implements HeldWrites {
  private static final byte BY_ID = (byte) 0x90;
  private static final byte BY_EVENT_TIME = (byte) 0x91;
  private static final byte BY_PROCESSING_TIME = (byte) 0x92;
  private static final byte BY_SYNCHRONIZED_TIME = (byte) 0x93;
  private static final byte HOLDS = (byte) 0x94;
  private static final byte[] EMPTY = new byte[0];

  /** Past this many held timers a store borrows room for more; refused, it writes out the last. */
  static final int MAX_HELD = 100_000;

  /**
   * What a held timer takes on the heap: its identity, its TimerData, two tree nodes, a map node.
   */
  static final int HELD_TIMER_BYTES = 256;

  private final RocksDbStateBackend backend;
  private final Coder<? extends BoundedWindow> windowCoder;
  private final HeldTimers held = new HeldTimers();
  private final int maxHeld;
  private final MemoryBudget.Reservation borrowed;
  // False while the identity index is known to be empty, so that a new timer needs no lookup.
  private boolean mayHaveStored;
  private long changes;

  /** A timer that is due, with the key group and encoded key it belongs to. */
  public record Due(int keyGroup, byte[] key, TimerData timer) {}

  public RocksDbTimerStore(
      RocksDbStateBackend backend, Coder<? extends BoundedWindow> windowCoder) {
    this(backend, windowCoder, MAX_HELD, CellCache.SHARED);
  }

  /**
   * A store holding {@code maxHeld} timers on the heap, and more while {@code budget} lends room
   * for them.
   */
  RocksDbTimerStore(
      RocksDbStateBackend backend,
      Coder<? extends BoundedWindow> windowCoder,
      int maxHeld,
      MemoryBudget budget) {
    this.backend = backend;
    this.windowCoder = windowCoder;
    this.maxHeld = maxHeld;
    this.borrowed = budget.reservation(CellCache.BORROW_STEP);
    this.mayHaveStored =
        backend.firstKeyOfIndex(new byte[] {BY_ID}, new byte[] {(byte) (BY_ID + 1)}) != null;
    backend.holdWritesIn(this);
  }

  private byte[] identity(byte[] keyPrefix, StateNamespace namespace, String id, String family) {
    return StateKeys.withSubKey(
        keyPrefix,
        StateKeys.lengthPrefixed(backend.namespaceKey(namespace)),
        StateKeys.lengthPrefixed(id.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        StateKeys.lengthPrefixed(family.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static byte indexOf(TimeDomain domain) {
    switch (domain) {
      case EVENT_TIME:
        return BY_EVENT_TIME;
      case PROCESSING_TIME:
        return BY_PROCESSING_TIME;
      default:
        return BY_SYNCHRONIZED_TIME;
    }
  }

  private static byte[] key(byte index, byte[]... parts) {
    return StateKeys.withSubKey(new byte[] {index}, parts);
  }

  /**
   * Sets (or replaces) {@code timer} of the key whose state lies under {@code keyPrefix} (from
   * {@link RocksDbStateBackend#keyPrefix} or {@link RocksDbStateInternals#keyPrefix()}).
   */
  public void set(byte[] keyPrefix, TimerData timer) {
    ByteKey id =
        new ByteKey(
            identity(
                keyPrefix, timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId()));
    HeldTimers.Held same = held.get(id);
    if (same != null) {
      if (sameTimes(same.timer, timer)) {
        return;
      }
      held.remove(id);
    } else if (mayHaveStored) {
      byte[] stored = backend.get(key(BY_ID, id.bytes()));
      // Setting the same timer again is common (e.g. end of window, per element). Rewriting it
      // would leave tombstones in the time index that every later range scan must skip.
      if (stored != null && Arrays.equals(stored, storedValue(timer))) {
        return;
      }
      if (stored != null) {
        removeStored(id.bytes(), stored);
      }
    }
    changes++;
    held.add(new HeldTimers.Held(id, timer));
    if (held.size() > maxHeld && !borrowed.cover(borrowedBytes(held.size()))) {
      // Refused: back to three quarters of what this store may hold now.
      long target = (maxHeld + borrowed.reservedBytes() / HELD_TIMER_BYTES) * 3 / 4;
      while (held.size() > target) {
        store(held.removeLatest());
      }
    }
  }

  private long borrowedBytes(long timers) {
    return Math.max(0, timers - maxHeld) * HELD_TIMER_BYTES;
  }

  /** Gives back borrowed room the held timers no longer need, a step spared. */
  private void giveBackUnused() {
    if (borrowed.reservedBytes() > 0) {
      borrowed.shrinkTo(borrowedBytes(held.size()) + CellCache.BORROW_STEP);
    }
  }

  private static boolean sameTimes(TimerData a, TimerData b) {
    return a.getDomain() == b.getDomain()
        && a.getTimestamp().getMillis() == b.getTimestamp().getMillis()
        && a.getOutputTimestamp().getMillis() == b.getOutputTimestamp().getMillis();
  }

  private static byte[] storedValue(TimerData timer) {
    return StateKeys.withSubKey(
        new byte[] {(byte) timer.getDomain().ordinal()},
        StateKeys.sortableMillis(timer.getTimestamp().getMillis()),
        StateKeys.sortableMillis(timer.getOutputTimestamp().getMillis()));
  }

  /** Writes a held timer into the three indexes. */
  private void store(HeldTimers.Held timer) {
    mayHaveStored = true;
    byte[] id = timer.identity;
    backend.put(key(BY_ID, id), storedValue(timer.timer));
    // Index entries are only found by seeks: they stay out of the backend's read cache.
    backend.putUnread(timeKey(timer), EMPTY);
    backend.putUnread(holdKey(timer), EMPTY);
  }

  private static byte[] timeKey(HeldTimers.Held timer) {
    return key(
        indexOf(timer.timer.getDomain()),
        StateKeys.sortableMillis(timer.timestamp()),
        timer.identity);
  }

  private static byte[] holdKey(HeldTimers.Held timer) {
    return key(HOLDS, StateKeys.sortableMillis(timer.output), timer.identity);
  }

  /** How many timers the store holds on the heap now. */
  int heldCount() {
    return held.size();
  }

  @Override
  public void describeTo(HeldChanges out) {
    for (HeldTimers.Held timer : held.all()) {
      out.put(key(BY_ID, timer.identity), storedValue(timer.timer));
      out.put(timeKey(timer), EMPTY);
      out.put(holdKey(timer), EMPTY);
    }
  }

  @Override
  public void writeOut() {
    for (HeldTimers.Held timer : held.removeAll()) {
      store(timer);
    }
    borrowed.releaseAll();
  }

  @Override
  public void drop() {
    held.clear();
    borrowed.releaseAll();
    changes++;
  }

  @Override
  public void close() {
    borrowed.releaseAll();
  }

  /**
   * Changes whenever a timer is set to something new or removed, and when the backend drops staged
   * writes: while it stays the same, a timer known to be set is still set as it was.
   */
  public long version() {
    return changes;
  }

  /** Deletes the key's timer {@code timerId} of {@code family} in {@code namespace}, if set. */
  public void delete(byte[] keyPrefix, StateNamespace namespace, String timerId, String family) {
    ByteKey id = new ByteKey(identity(keyPrefix, namespace, timerId, family));
    if (held.remove(id) != null) {
      changes++;
    } else if (mayHaveStored) {
      byte[] stored = backend.get(key(BY_ID, id.bytes()));
      if (stored != null) {
        removeStored(id.bytes(), stored);
      }
    }
  }

  /** Removes a stored timer, whose identity index holds {@code value}, from all indexes. */
  private void removeStored(byte[] id, byte[] value) {
    changes++;
    TimeDomain domain = TimeDomain.values()[value[0]];
    backend.delete(key(BY_ID, id));
    backend.deleteUnread(key(indexOf(domain), Arrays.copyOfRange(value, 1, 9), id));
    backend.deleteUnread(key(HOLDS, Arrays.copyOfRange(value, 9, 17), id));
  }

  /**
   * The time-index key of the earliest stored timer of {@code domain} before {@code before}, or
   * null. Fired timers are deleted from the front of the index; the backend seeks past their
   * tombstones.
   */
  private byte @Nullable [] firstStoredDue(TimeDomain domain, Instant before) {
    if (!mayHaveStored) {
      return null;
    }
    byte index = indexOf(domain);
    return backend.firstKeyOfIndex(
        new byte[] {index}, key(index, StateKeys.sortableMillis(before.getMillis())));
  }

  /** The earliest held timer of {@code domain} before {@code before}, or null. */
  private HeldTimers.@Nullable Held firstHeldDue(TimeDomain domain, Instant before) {
    HeldTimers.Held first = held.first(domain);
    return first != null && first.timestamp() < before.getMillis() ? first : null;
  }

  /**
   * The earliest timer of {@code domain} before {@code before}: a {@link HeldTimers.Held}, the
   * time-index key of a stored one, or null. Seeks only when the index's floor cannot tell that the
   * held one comes first.
   */
  private @Nullable Object firstDue(TimeDomain domain, Instant before) {
    HeldTimers.Held heldFirst = firstHeldDue(domain, before);
    byte index = indexOf(domain);
    if (heldFirst != null) {
      byte[] floor = backend.indexFloor(index);
      if (!mayHaveStored || (floor != null && compareToIndexKey(heldFirst, index, floor) < 0)) {
        return heldFirst;
      }
    }
    byte[] storedFirst = firstStoredDue(domain, before);
    if (storedFirst == null) {
      return heldFirst;
    }
    if (heldFirst == null) {
      return storedFirst;
    }
    return compareToIndexKey(heldFirst, index, storedFirst) < 0 ? heldFirst : storedFirst;
  }

  /**
   * How a held timer compares with {@code indexKey}, a key of the time index {@code index} ({@code
   * [index][time][identity]}) or a bound of it: its bare start, below every entry, or the start of
   * the next index, above every entry.
   */
  private static int compareToIndexKey(HeldTimers.Held timer, byte index, byte[] indexKey) {
    if (indexKey[0] != index) {
      return -1;
    }
    if (indexKey.length < 9) {
      return 1;
    }
    int byTime = Long.compare(timer.timestamp(), StateKeys.sortableMillisAt(indexKey, 1));
    if (byTime != 0) {
      return byTime;
    }
    return Arrays.compareUnsigned(
        timer.identity, 0, timer.identity.length, indexKey, 9, indexKey.length);
  }

  /**
   * Whether the earliest timer of {@code domain} before {@code before} belongs to the key whose
   * state lies under {@code keyPrefix}.
   */
  public boolean nextDueHasKey(TimeDomain domain, Instant before, byte[] keyPrefix) {
    Object first = firstDue(domain, before);
    if (first instanceof HeldTimers.Held timer) {
      return startsWith(timer.identity, 0, keyPrefix);
    }
    // [index][8-byte timestamp][identity], and the identity starts with the key prefix.
    return first != null && startsWith((byte[]) first, 9, keyPrefix);
  }

  private static boolean startsWith(byte[] bytes, int from, byte[] prefix) {
    return bytes.length >= from + prefix.length
        && Arrays.equals(bytes, from, from + prefix.length, prefix, 0, prefix.length);
  }

  /** Removes and returns the earliest timer of {@code domain} before {@code before}, or null. */
  public @Nullable Due pollDue(TimeDomain domain, Instant before) {
    Object first = firstDue(domain, before);
    if (first == null) {
      return null;
    }
    if (first instanceof HeldTimers.Held timer) {
      held.remove(timer.key);
      changes++;
      if ((held.size() & 1023) == 0) {
        giveBackUnused();
      }
      return new Due(
          StateKeys.keyGroupOf(timer.identity), backend.encodedKeyOf(timer.identity), timer.timer);
    }
    byte[] indexKey = (byte[]) first;
    byte[] id = Arrays.copyOfRange(indexKey, 9, indexKey.length);
    byte[] value = backend.get(key(BY_ID, id));
    if (value == null) {
      throw new IllegalStateException("timer index and identity index disagree");
    }
    removeStored(id, value);
    int keyGroup = StateKeys.keyGroupOf(id);
    int[] keyAt = StateKeys.keyComponentAt(id, StateKeys.KEY_GROUP_BYTES);
    int[] namespaceAt = StateKeys.lengthPrefixedAt(id, keyAt[1]);
    int[] idAt = StateKeys.lengthPrefixedAt(id, namespaceAt[1]);
    int[] familyAt = StateKeys.lengthPrefixedAt(id, idAt[1]);
    StateNamespace namespace = StateNamespaces.fromString(utf8(id, namespaceAt), windowCoder);
    TimerData timer =
        TimerData.of(
            utf8(id, idAt),
            utf8(id, familyAt),
            namespace,
            new Instant(StateKeys.sortableMillisAt(value, 1)),
            new Instant(StateKeys.sortableMillisAt(value, 9)),
            domain);
    return new Due(keyGroup, backend.encodedKeyOf(id), timer);
  }

  private static String utf8(byte[] bytes, int[] at) {
    return new String(bytes, at[0], at[1] - at[0], java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Whether any timer of {@code domain} is set. */
  public boolean hasTimers(TimeDomain domain) {
    return earliest(domain) != null;
  }

  /** The time of the earliest timer of {@code domain}, or null when none is set. */
  public @Nullable Instant earliest(TimeDomain domain) {
    return earlier(heldTime(held.first(domain)), earliestStored(domain));
  }

  private @Nullable Instant earliestStored(TimeDomain domain) {
    if (!mayHaveStored) {
      return null;
    }
    byte index = indexOf(domain);
    byte[] first = backend.firstKeyOfIndex(new byte[] {index}, new byte[] {(byte) (index + 1)});
    return first == null ? null : new Instant(StateKeys.sortableMillisAt(first, 1));
  }

  private static @Nullable Instant heldTime(HeldTimers.@Nullable Held timer) {
    return timer == null ? null : timer.timer.getTimestamp();
  }

  private static @Nullable Instant earlier(@Nullable Instant a, @Nullable Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isBefore(b) ? a : b;
  }

  /**
   * A time no timer of {@code domain} is earlier than, usually without a seek: the start of the
   * lowest key its time index may still hold. Null when no timer of the domain is set.
   */
  public @Nullable Instant earliestLowerBound(TimeDomain domain) {
    return earlier(
        heldTime(held.first(domain)),
        mayHaveStored ? lowerBound(indexOf(domain), () -> earliestStored(domain)) : null);
  }

  /** Like {@link #earliestLowerBound}, for {@link #minimumHold()}. */
  public @Nullable Instant minimumHoldLowerBound() {
    return earlier(heldOutput(), mayHaveStored ? lowerBound(HOLDS, this::minimumStoredHold) : null);
  }

  /** The time at an index's floor, or {@code exact} (which seeks, and sets the floor) if none. */
  private @Nullable Instant lowerBound(byte index, java.util.function.Supplier<Instant> exact) {
    byte[] floor = backend.indexFloor(index);
    if (floor == null) {
      return exact.get();
    }
    if (floor.length < 9 || floor[0] != index) {
      // The floor is past the index (it is empty) or its bare start.
      return floor[0] != index ? null : exact.get();
    }
    return new Instant(StateKeys.sortableMillisAt(floor, 1));
  }

  /** Whether a timer of {@code domain} before {@code before} is set. */
  public boolean hasDue(TimeDomain domain, Instant before) {
    return firstHeldDue(domain, before) != null || firstStoredDue(domain, before) != null;
  }

  /** The earliest output timestamp of any timer: the hold on the output watermark. */
  public @Nullable Instant minimumHold() {
    return earlier(heldOutput(), minimumStoredHold());
  }

  private @Nullable Instant heldOutput() {
    HeldTimers.Held first = held.firstByOutput();
    return first == null ? null : first.timer.getOutputTimestamp();
  }

  private @Nullable Instant minimumStoredHold() {
    if (!mayHaveStored) {
      return null;
    }
    byte[] first = backend.firstKeyOfIndex(new byte[] {HOLDS}, new byte[] {(byte) (HOLDS + 1)});
    return first == null ? null : new Instant(StateKeys.sortableMillisAt(first, 1));
  }
}
