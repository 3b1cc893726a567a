package dev.millrace.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.TimeDomain;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Timers of a {@link RocksDbTimerStore} set since its last write-out and not in RocksDB: found by
 * identity, and ordered per domain by time and over all domains by output timestamp, in the same
 * order as the store's RocksDB indexes (time, then identity bytes unsigned). A timer set and fired
 * or deleted while held costs the database nothing.
 */
final class HeldTimers {
  /** A held timer with its identity, the key of its entry in the store's identity index. */
  static final class Held {
    final ByteKey key;
    final byte[] identity;
    final TimerData timer;
    // Copied out of the timer: the sets compare them on every insertion and removal.
    final long timestamp;
    final long output;

    Held(ByteKey key, TimerData timer) {
      this.key = key;
      this.identity = key.bytes();
      this.timer = timer;
      this.timestamp = timer.getTimestamp().getMillis();
      this.output = timer.getOutputTimestamp().getMillis();
    }

    long timestamp() {
      return timestamp;
    }
  }

  private static final Comparator<Held> BY_TIME =
      (a, b) -> {
        int byTime = Long.compare(a.timestamp, b.timestamp);
        return byTime != 0 ? byTime : Arrays.compareUnsigned(a.identity, b.identity);
      };
  private static final Comparator<Held> BY_OUTPUT =
      (a, b) -> {
        int byOutput = Long.compare(a.output, b.output);
        return byOutput != 0 ? byOutput : Arrays.compareUnsigned(a.identity, b.identity);
      };

  private final Map<ByteKey, Held> byIdentity = new HashMap<>();
  private final List<TreeSet<Held>> byTime = new ArrayList<>();
  private final TreeSet<Held> byOutput = new TreeSet<>(BY_OUTPUT);

  HeldTimers() {
    for (int i = 0; i < TimeDomain.values().length; i++) {
      byTime.add(new TreeSet<>(BY_TIME));
    }
  }

  @Nullable Held get(ByteKey identity) {
    return byIdentity.get(identity);
  }

  void add(Held held) {
    byIdentity.put(held.key, held);
    byTime.get(held.timer.getDomain().ordinal()).add(held);
    byOutput.add(held);
  }

  @Nullable Held remove(ByteKey identity) {
    Held held = byIdentity.remove(identity);
    if (held != null) {
      unindex(held);
    }
    return held;
  }

  private void unindex(Held held) {
    byTime.get(held.timer.getDomain().ordinal()).remove(held);
    byOutput.remove(held);
  }

  /** The earliest held timer of {@code domain}, or null. */
  @Nullable Held first(TimeDomain domain) {
    TreeSet<Held> timers = byTime.get(domain.ordinal());
    return timers.isEmpty() ? null : timers.first();
  }

  /** The held timer with the earliest output timestamp, or null. */
  @Nullable Held firstByOutput() {
    return byOutput.isEmpty() ? null : byOutput.first();
  }

  int size() {
    return byIdentity.size();
  }

  /**
   * Removes and returns the held timer due last: of the domain holding the most, its latest. The
   * ones due soonest stay, as they are the likeliest to be fired or set again before a write-out.
   */
  Held removeLatest() {
    TreeSet<Held> largest = byTime.get(0);
    for (TreeSet<Held> timers : byTime) {
      if (timers.size() > largest.size()) {
        largest = timers;
      }
    }
    Held held = largest.pollLast();
    byOutput.remove(held);
    byIdentity.remove(held.key);
    return held;
  }

  /** Every held timer, then none. */
  /** Every held timer, in no order; a view, valid until the next change. */
  Collection<Held> all() {
    return Collections.unmodifiableCollection(byIdentity.values());
  }

  List<Held> removeAll() {
    List<Held> all = new ArrayList<>(byIdentity.values());
    clear();
    return all;
  }

  void clear() {
    byIdentity.clear();
    byTime.forEach(TreeSet::clear);
    byOutput.clear();
  }
}
