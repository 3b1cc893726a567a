package dev.millrace.state.heap;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.TimeDomain;
import org.joda.time.Instant;

/**
 * The heap timers of one operator, of every key, in time order per domain: due timers are the first
 * entries, so an advance of the clock visits only what fires, never every key with a timer. Each
 * pending timer's output timestamp is a hold in the operator's {@link HoldIndex}, whatever its
 * domain (a processing-time timer keeps back the watermark of what it will emit too).
 */
final class HeapTimerStore {
  /** One pending timer of the key whose {@link HeapTimers} set it. */
  static final class Scheduled {
    final TimerData timer;
    final HeapTimers owner;
    final long sequence;

    Scheduled(TimerData timer, HeapTimers owner, long sequence) {
      this.timer = timer;
      this.owner = owner;
      this.sequence = sequence;
    }
  }

  /** Earliest first; timers of equal time in the order they were set. */
  private static final Comparator<Scheduled> ORDER =
      Comparator.<Scheduled>comparingLong(s -> s.timer.getTimestamp().getMillis())
          .thenComparingLong(s -> s.sequence);

  private final TreeSet<Scheduled>[] byTime;
  private final HoldIndex holds;
  private long nextSequence;

  @SuppressWarnings("unchecked")
  HeapTimerStore(HoldIndex holds) {
    this.holds = holds;
    this.byTime = new TreeSet[TimeDomain.values().length];
    for (int d = 0; d < byTime.length; d++) {
      byTime[d] = new TreeSet<>(ORDER);
    }
  }

  /** Timers set and not fired or deleted, in every domain. */
  long size() {
    long size = 0;
    for (TreeSet<Scheduled> domain : byTime) {
      size += domain.size();
    }
    return size;
  }

  Scheduled add(HeapTimers owner, TimerData timer) {
    Scheduled scheduled = new Scheduled(timer, owner, nextSequence++);
    byTime[timer.getDomain().ordinal()].add(scheduled);
    holds.add(timer.getOutputTimestamp());
    return scheduled;
  }

  void remove(Scheduled scheduled) {
    if (byTime[scheduled.timer.getDomain().ordinal()].remove(scheduled)) {
      holds.remove(scheduled.timer.getOutputTimestamp());
    }
  }

  /** The earliest timer of {@code domain} strictly before {@code before}, left in place. */
  Scheduled peekBefore(TimeDomain domain, Instant before) {
    TreeSet<Scheduled> timers = byTime[domain.ordinal()];
    if (timers.isEmpty() || !timers.first().timer.getTimestamp().isBefore(before)) {
      return null;
    }
    return timers.first();
  }

  /** Removes and returns the earliest timer of {@code domain} strictly before {@code before}. */
  Scheduled pollBefore(TimeDomain domain, Instant before) {
    if (peekBefore(domain, before) == null) {
      return null;
    }
    Scheduled first = byTime[domain.ordinal()].pollFirst();
    holds.remove(first.timer.getOutputTimestamp());
    first.owner.forget(first);
    return first;
  }

  /** Every pending timer, in no particular order. */
  List<Scheduled> all() {
    List<Scheduled> all = new ArrayList<>();
    for (TreeSet<Scheduled> timers : byTime) {
      all.addAll(timers);
    }
    return all;
  }

  boolean hasTimers(TimeDomain domain) {
    return !byTime[domain.ordinal()].isEmpty();
  }

  /** The time of the earliest timer of {@code domain}, or null. */
  Instant earliest(TimeDomain domain) {
    TreeSet<Scheduled> timers = byTime[domain.ordinal()];
    return timers.isEmpty() ? null : timers.first().timer.getTimestamp();
  }
}
