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
 */
public final class RocksDbTimerStore {
  private static final byte BY_ID = (byte) 0x90;
  private static final byte BY_EVENT_TIME = (byte) 0x91;
  private static final byte BY_PROCESSING_TIME = (byte) 0x92;
  private static final byte BY_SYNCHRONIZED_TIME = (byte) 0x93;
  private static final byte HOLDS = (byte) 0x94;
  private static final byte[] EMPTY = new byte[0];

  private final RocksDbStateBackend backend;
  private final Coder<? extends BoundedWindow> windowCoder;
  private long changes;
  private long discardsSeen;

  /** A timer that is due, with the key group and encoded key it belongs to. */
  public record Due(int keyGroup, byte[] key, TimerData timer) {}

  public RocksDbTimerStore(
      RocksDbStateBackend backend, Coder<? extends BoundedWindow> windowCoder) {
    this.backend = backend;
    this.windowCoder = windowCoder;
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
    byte[] id =
        identity(keyPrefix, timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId());
    long timestamp = timer.getTimestamp().getMillis();
    long output = timer.getOutputTimestamp().getMillis();
    byte[] value =
        StateKeys.withSubKey(
            new byte[] {(byte) timer.getDomain().ordinal()},
            StateKeys.sortableMillis(timestamp),
            StateKeys.sortableMillis(output));
    // Setting the same timer again is common (e.g. end of window, per element). Rewriting it would
    // leave tombstones in the time index that every later range scan must skip.
    if (Arrays.equals(backend.get(key(BY_ID, id)), value)) {
      return;
    }
    changes++;
    remove(id);
    backend.put(key(BY_ID, id), value);
    byte[] timeKey = key(indexOf(timer.getDomain()), StateKeys.sortableMillis(timestamp), id);
    // Index entries are only found by seeks: they stay out of the backend's read cache.
    backend.putUnread(timeKey, EMPTY);
    backend.putUnread(key(HOLDS, StateKeys.sortableMillis(output), id), EMPTY);
  }

  /**
   * Changes whenever a timer is set to something new or removed, and when the backend drops staged
   * writes: while it stays the same, a timer known to be set is still set as it was.
   */
  public long version() {
    long discards = backend.discards();
    if (discards != discardsSeen) {
      discardsSeen = discards;
      changes++;
    }
    return changes;
  }

  /** Deletes the key's timer {@code timerId} of {@code family} in {@code namespace}, if set. */
  public void delete(byte[] keyPrefix, StateNamespace namespace, String timerId, String family) {
    remove(identity(keyPrefix, namespace, timerId, family));
  }

  /** Removes a timer from all indexes; returns its stored value, or null if it was not set. */
  private byte @Nullable [] remove(byte[] id) {
    byte[] byId = key(BY_ID, id);
    byte[] value = backend.get(byId);
    if (value == null) {
      return null;
    }
    changes++;
    TimeDomain domain = TimeDomain.values()[value[0]];
    backend.delete(byId);
    backend.deleteUnread(key(indexOf(domain), Arrays.copyOfRange(value, 1, 9), id));
    backend.deleteUnread(key(HOLDS, Arrays.copyOfRange(value, 9, 17), id));
    return value;
  }

  /**
   * The time-index key of the earliest timer of {@code domain} before {@code before}, or null.
   * Fired timers are deleted from the front of the index; the backend seeks past their tombstones.
   */
  private byte @Nullable [] firstDue(TimeDomain domain, Instant before) {
    byte index = indexOf(domain);
    return backend.firstKeyOfIndex(
        new byte[] {index}, key(index, StateKeys.sortableMillis(before.getMillis())));
  }

  /**
   * Whether the earliest timer of {@code domain} before {@code before} belongs to the key whose
   * state lies under {@code keyPrefix}.
   */
  public boolean nextDueHasKey(TimeDomain domain, Instant before, byte[] keyPrefix) {
    byte[] first = firstDue(domain, before);
    // [index][8-byte timestamp][identity], and the identity starts with the key prefix.
    return first != null
        && first.length >= 9 + keyPrefix.length
        && Arrays.equals(first, 9, 9 + keyPrefix.length, keyPrefix, 0, keyPrefix.length);
  }

  /** Removes and returns the earliest timer of {@code domain} before {@code before}, or null. */
  public @Nullable Due pollDue(TimeDomain domain, Instant before) {
    byte[] first = firstDue(domain, before);
    if (first == null) {
      return null;
    }
    byte[] id = Arrays.copyOfRange(first, 9, first.length);
    byte[] value = remove(id);
    if (value == null) {
      throw new IllegalStateException("timer index and identity index disagree");
    }
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
    byte index = indexOf(domain);
    byte[] first = backend.firstKeyOfIndex(new byte[] {index}, new byte[] {(byte) (index + 1)});
    return first == null ? null : new Instant(StateKeys.sortableMillisAt(first, 1));
  }

  /**
   * A time no timer of {@code domain} is earlier than, usually without a seek: the start of the
   * lowest key its time index may still hold. Null when no timer of the domain is set.
   */
  public @Nullable Instant earliestLowerBound(TimeDomain domain) {
    return lowerBound(indexOf(domain), () -> earliest(domain));
  }

  /** Like {@link #earliestLowerBound}, for {@link #minimumHold()}. */
  public @Nullable Instant minimumHoldLowerBound() {
    return lowerBound(HOLDS, this::minimumHold);
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
    return firstDue(domain, before) != null;
  }

  /** The earliest output timestamp of any timer: the hold on the output watermark. */
  public @Nullable Instant minimumHold() {
    byte[] first = backend.firstKeyOfIndex(new byte[] {HOLDS}, new byte[] {(byte) (HOLDS + 1)});
    return first == null ? null : new Instant(StateKeys.sortableMillisAt(first, 1));
  }
}
