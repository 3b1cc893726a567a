package dev.millrace.state.keyed;

import dev.millrace.plan.OperatorContext;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.TimerInternals.TimerData;

/**
 * Fires the due timers of a keyed operator, earliest first, until none is due, downstream is full,
 * or {@value #MAX_FIRINGS_PER_CALL} keys were fired; then {@link #isPending()} until a later {@link
 * #fire()} finds nothing more. The cap lets the engine end the bundle in between, so a watermark
 * that makes millions of timers due (the end of a bounded input in a streaming job) does not
 * gather all their state writes in one bundle. Nothing is polled ahead of a firing, so a timer
 * that a firing sets and that is already due fires in its turn.
 */
public final class TimerFiring<K> {
  static final int MAX_FIRINGS_PER_CALL = 1000;


  /** Hands the timers of one key to the operator. */
  public interface Target<K> {
    public void fire(KeyedState.Entry<K> entry, List<TimerData> timers) throws Exception;
  }

  private final KeyedState<K> keys;
  private final OperatorContext context;
  private final Target<K> target;
  private final boolean runsPerKey;
  private final List<TimerData> run = new ArrayList<>();
  private boolean pending;

  /**
   * {@code runsPerKey}: consecutive due timers of one key go to the target in one call (GroupByKey
   * fires every window of a key at once at the end of bounded input); otherwise one per call.
   */
  public TimerFiring(KeyedState<K> keys, OperatorContext context, boolean runsPerKey, Target<K> target) {
    this.keys = keys;
    this.context = context;
    this.runsPerKey = runsPerKey;
    this.target = target;
  }

  /** On a restarted job: timers may be due already, and are looked for at the next chance. */
  public void lookForDueTimers() {
    pending = true;
  }

  /** Due timers may remain because the output filled up. */
  public boolean isPending() {
    return pending;
  }

  /** Fires due event-time timers, then due processing-time timers. */
  public void fire() throws Exception {
    pending = false;
    for (int fired = 0; ; fired++) {
      if (context.isOutputBlocked() || fired == MAX_FIRINGS_PER_CALL) {
        pending = true;
        return;
      }
      KeyedState.Due<K> due = keys.pollEventTimer();
      if (due == null) {
        due = keys.pollProcessingTimer();
      }
      if (due == null) {
        return;
      }
      KeyedState.Entry<K> entry = due.entry();
      run.add(due.timer());
      if (runsPerKey) {
        KeyedState.Due<K> more;
        while ((more = keys.pollNextOf(entry)) != null) {
          run.add(more.timer());
        }
      }
      try {
        target.fire(entry, run);
      } finally {
        run.clear();
      }
      keys.track(entry, false);
    }
  }

  /**
   * Drops every processing-time timer without firing it: once the input watermark is at its end
   * every window has expired, and Beam's runners ignore processing-time timers of expired
   * windows. Until dropped they would hold the output watermark.
   */
  public void dropProcessingTimers() {
    KeyedState.Due<K> due;
    while ((due = keys.pollAnyProcessingTimer()) != null) {
      keys.track(due.entry(), false);
    }
  }
}
