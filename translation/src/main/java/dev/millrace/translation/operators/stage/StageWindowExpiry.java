package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.CurrentKeyInternals;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The timer at which runners-core's {@code StatefulDoFnRunner} expires a key's window of a keyed
 * stage (flushes its sorted input, fires its {@code OnWindowExpiration} methods, clears its state):
 * one millisecond past the window's end and the allowed lateness, so that a user timer set for the
 * window's last instant fires, and reads its state, first.
 *
 * <p>Not runners-core's own cleanup timer, for two reasons: a stage with timers but no state, no
 * expiration methods and no sorted input has nothing to expire and sets none; and the timer keeps
 * the id, time and output timestamp this stage gave it before it used runners-core, so that a
 * checkpoint of that time, with these timers in it, still expires its windows once.
 */
final class StageWindowExpiry<T> implements StatefulDoFnRunner.CleanupTimer<T> {
  /** The timer's id and family. */
  static final String TIMER = "millrace-window-expiry";

  private final boolean expiresWindows;
  private final Coder<BoundedWindow> windowCoder;
  private final Duration allowedLateness;
  private final CurrentKeyInternals<?> currentKey;

  StageWindowExpiry(
      boolean expiresWindows,
      Coder<BoundedWindow> windowCoder,
      Duration allowedLateness,
      CurrentKeyInternals<?> currentKey) {
    this.expiresWindows = expiresWindows;
    this.windowCoder = windowCoder;
    this.allowedLateness = allowedLateness;
    this.currentKey = currentKey;
  }

  @Override
  public void setForWindow(T value, BoundedWindow window) {
    if (!expiresWindows) {
      return;
    }
    Instant at = timeOf(window);
    if (at != null) {
      currentKey.timers.setTimer(
          StateNamespaces.window(windowCoder, window), TIMER, TIMER, at, at, TimeDomain.EVENT_TIME);
    }
  }

  @Override
  public boolean isForWindow(
      String timerId, BoundedWindow window, Instant timestamp, TimeDomain timeDomain) {
    return timerId.equals(TIMER)
        && timeDomain == TimeDomain.EVENT_TIME
        && timestamp.equals(timeOf(window));
  }

  /**
   * Where the window's state ends: past its end and the allowed lateness. Its {@code
   * OnWindowExpiration} timers fire there ({@link HarnessRunner}).
   */
  Instant expiryOf(BoundedWindow window) {
    Instant end = window.maxTimestamp().plus(allowedLateness);
    return end.isAfter(BoundedWindow.TIMESTAMP_MAX_VALUE) ? BoundedWindow.TIMESTAMP_MAX_VALUE : end;
  }

  /** When the expiry timer fires, just past the expiry; null if the window never expires. */
  private Instant timeOf(BoundedWindow window) {
    if (!window.maxTimestamp().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      return null;
    }
    Instant expiry = expiryOf(window);
    return expiry.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)
        ? expiry.plus(Duration.millis(1))
        : expiry;
  }
}
