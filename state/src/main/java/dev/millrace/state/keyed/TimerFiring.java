package dev.millrace.state.keyed;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.Watermarks;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.TimeDomain;

/**
 * Fires the due timers of a keyed operator, earliest first, one group per call of its {@link
 * Target}, until none is due, downstream is full, or the rules' cap of groups was fired; then
 * {@link #isPending()} until a later {@link #fire()} finds nothing more. The cap lets the engine
 * end the bundle in between, so a watermark that makes millions of timers due (the end of a bounded
 * input in a streaming job) does not gather all their state writes in one bundle. Nothing is polled
 * ahead of a group, so a timer that a firing sets and that is already due fires in its turn.
 *
 * <p>Every keyed operator fires through this class, in process (DoFns, GroupByKey) and over the Fn
 * API (the portable stage); {@link Rules} say how they differ. Polling happens under the lock the
 * operator gives, as a portable stage's harness sets timers on gRPC threads.
 */
public final class TimerFiring<K> {
  /** The cap of the operators that fire in this JVM: groups are cheap calls into user code. */
  public static final int MAX_GROUPS_PER_CALL = 1000;

  /** Which due timers go to the target together. */
  public enum Grouping {
    /** One timer per call. */
    ONE,
    /** Consecutive due timers of one key (GroupByKey fires every window of a key at once). */
    KEY_RUN,
    /**
     * Every timer due at the earliest due timestamp and domain, whatever its key: a portable stage
     * sends them in one remote bundle, which it closes before the next timestamp's, so what the
     * harness sets in reply is in the store by then.
     */
    TIMESTAMP
  }

  /** What becomes of processing-time timers once the timer watermark is at its end. */
  public enum AtEnd {
    /**
     * Dropped without firing once the event-time timers are done: every window has expired then,
     * and Beam's runners ignore processing-time timers of expired windows. Until dropped they would
     * hold the output watermark.
     */
    DROP_PROCESSING_TIMERS,
    /** Kept: they still fire when due (a splittable DoFn's residuals resume by them). */
    KEEP_PROCESSING_TIMERS,
    /**
     * Fired one at a time, due or not, before the watermark's end expires every window (as Prism
     * does; the Go SDK's tests expect it).
     */
    FIRE_PROCESSING_TIMERS_FIRST
  }

  /** How an operator's timers fire: grouped how, what happens at the end, groups per call. */
  public record Rules(Grouping grouping, AtEnd atEnd, int maxGroupsPerCall) {}

  /** Hands a group of due timers to the operator (one key's unless grouped by timestamp). */
  public interface Target<K> {
    public void fire(List<KeyedState.Due<K>> due) throws Exception;
  }

  private final KeyedState<K> keys;
  private final OperatorContext context;
  private final Rules rules;
  private final LongSupplier timerWatermark;
  private final Object lock;
  private final Target<K> target;
  private final List<KeyedState.Due<K>> group = new ArrayList<>();
  private boolean pending;

  /**
   * @param timerWatermark the watermark event-time timers fire by (the operator's input watermark,
   *     held back by input it still has to process)
   * @param lock held while timers are polled and their keys tracked, never while the target fires
   */
  public TimerFiring(
      KeyedState<K> keys,
      OperatorContext context,
      Rules rules,
      LongSupplier timerWatermark,
      Object lock,
      Target<K> target) {
    this.keys = keys;
    this.context = context;
    this.rules = rules;
    this.timerWatermark = timerWatermark;
    this.lock = lock;
    this.target = target;
  }

  /** On a restarted job: timers may be due already, and are looked for at the next chance. */
  public void lookForDueTimers() {
    pending = true;
  }

  /** Due timers may remain because the output filled up or the cap was reached. */
  public boolean isPending() {
    return pending;
  }

  /** Fires due timers, event-time first, each group's in one call of the target. */
  public void fire() throws Exception {
    pending = false;
    long watermark = timerWatermark.getAsLong();
    for (int fired = 0; ; fired++) {
      if (context.isOutputBlocked() || fired == rules.maxGroupsPerCall()) {
        pending = true;
        return;
      }
      synchronized (lock) {
        nextGroup(watermark);
      }
      if (group.isEmpty()) {
        break;
      }
      try {
        target.fire(group);
        synchronized (lock) {
          for (KeyedState.Due<K> due : group) {
            keys.track(due.entry(), false);
          }
        }
      } finally {
        group.clear();
      }
    }
    if (watermark == Watermarks.END && rules.atEnd() == AtEnd.DROP_PROCESSING_TIMERS) {
      synchronized (lock) {
        dropProcessingTimers();
      }
    }
  }

  /** Polls the next group into {@link #group}; leaves it empty when nothing is due. */
  private void nextGroup(long watermark) {
    if (watermark == Watermarks.END && rules.atEnd() == AtEnd.FIRE_PROCESSING_TIMERS_FIRST) {
      KeyedState.Due<K> processing = keys.pollAnyProcessingTimer();
      if (processing != null) {
        group.add(processing);
        return;
      }
    }
    keys.advanceInputWatermark(BeamTime.toInstant(watermark));
    KeyedState.Due<K> first = keys.pollEventTimer();
    if (first == null) {
      first = keys.pollProcessingTimer();
    }
    if (first == null) {
      return;
    }
    group.add(first);
    KeyedState.Due<K> more;
    switch (rules.grouping()) {
      case ONE -> {}
      case KEY_RUN -> {
        while ((more = keys.pollNextOf(first.entry())) != null) {
          group.add(more);
        }
      }
      case TIMESTAMP -> {
        while ((more = pollDueAt(first.timer())) != null) {
          group.add(more);
        }
      }
    }
  }

  /** Another due timer of the same domain and timestamp as {@code first}, or null. */
  private KeyedState.Due<K> pollDueAt(TimerData first) {
    // The store offers no peek: a polled timer of a later time goes back.
    KeyedState.Due<K> next =
        first.getDomain() == TimeDomain.EVENT_TIME
            ? keys.pollEventTimer()
            : keys.pollProcessingTimer();
    if (next == null) {
      return null;
    }
    if (next.timer().getTimestamp().equals(first.getTimestamp())) {
      return next;
    }
    next.entry().timers.setTimer(next.timer());
    return null;
  }

  private void dropProcessingTimers() {
    KeyedState.Due<K> due;
    while ((due = keys.pollAnyProcessingTimer()) != null) {
      keys.track(due.entry(), false);
    }
  }
}
