package dev.millrace.translation.operators;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.sdk.state.TimeDomain;
import org.joda.time.Instant;

/**
 * The timers of one key, kept on the heap. Beam's {@code InMemoryTimerInternals} does the same
 * job, but it builds three sorted sets and a table for every key and answers "is there a next
 * timer?" by catching an exception from an empty set; a keyed operator asks that after every
 * element. Here the sets are made when a key first sets a timer of their domain, and emptiness is
 * a field read.
 */
final class MemoryTimers extends KeyTimers {

  /** What makes a timer the same timer: setting it again replaces it. */
  private record Identity(StateNamespace namespace, String timerId, String timerFamilyId) {}

  private final Map<Identity, TimerData> byIdentity = new HashMap<>(4);
  /** Indexed by {@link TimeDomain#ordinal()}; null until the domain's first timer. */
  private final TreeSet<TimerData>[] byTime;

  @SuppressWarnings("unchecked")
  MemoryTimers(Clocks clocks) {
    super(clocks);
    this.byTime = new TreeSet[TimeDomain.values().length];
  }

  boolean hasTimers(TimeDomain domain) {
    TreeSet<TimerData> timers = byTime[domain.ordinal()];
    return timers != null && !timers.isEmpty();
  }

  boolean isEmpty() {
    return byIdentity.isEmpty();
  }

  /** Removes and returns this key's earliest timer of {@code domain} strictly before {@code now}. */
  TimerData removeNextBefore(TimeDomain domain, Instant now) {
    TreeSet<TimerData> timers = byTime[domain.ordinal()];
    if (timers == null || timers.isEmpty() || !timers.first().getTimestamp().isBefore(now)) {
      return null;
    }
    TimerData timer = timers.pollFirst();
    byIdentity.remove(identityOf(timer));
    return timer;
  }

  private static Identity identityOf(TimerData timer) {
    return new Identity(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId());
  }

  private TreeSet<TimerData> timers(TimeDomain domain) {
    TreeSet<TimerData> timers = byTime[domain.ordinal()];
    if (timers == null) {
      timers = new TreeSet<>();
      byTime[domain.ordinal()] = timers;
    }
    return timers;
  }

  @Override
  public void setTimer(TimerData timer) {
    Identity identity = identityOf(timer);
    // Setting the same timer again is common (the end-of-window cleanup timer, once per element);
    // re-sorting it would cost a removal and an insertion.
    if (timer.equals(byIdentity.get(identity))) {
      return;
    }
    TimerData existing = byIdentity.put(identity, timer);
    if (existing != null) {
      if (existing.getDomain() != timer.getDomain()) {
        byIdentity.put(identity, existing);
        throw new IllegalArgumentException(
            "timer "
                + timer.getTimerId()
                + " is set in time domain "
                + existing.getDomain()
                + " and cannot be set again in "
                + timer.getDomain());
      }
      timers(existing.getDomain()).remove(existing);
    }
    timers(timer.getDomain()).add(timer);
  }

  @Override
  void delete(StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain) {
    Identity identity = new Identity(namespace, timerId, timerFamilyId);
    TimerData existing = byIdentity.get(identity);
    if (existing == null) {
      return;
    }
    if (domain != null && existing.getDomain() != domain) {
      throw new IllegalStateException(
          "timer " + timerId + " is set in time domain " + existing.getDomain() + ", not " + domain);
    }
    byIdentity.remove(identity);
    timers(existing.getDomain()).remove(existing);
  }
}
