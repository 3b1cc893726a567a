package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.KeyedState;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * When a keyed stage's windows expire: past their end and the allowed lateness. Each key's window
 * gets a runner-side timer then, which fires the DoFns' {@code OnWindowExpiration} and clears the
 * window's state, as the SDK leaves both to the runner.
 */
final class StageWindowExpiry {
  /** The family of the expiry timer, told apart from the harness's timers by it. */
  static final String TIMER = "millrace-window-expiry";

  private final Coder<BoundedWindow> windowCoder;
  private final Duration allowedLateness;

  StageWindowExpiry(Coder<BoundedWindow> windowCoder, Duration allowedLateness) {
    this.windowCoder = windowCoder;
    this.allowedLateness = allowedLateness;
  }

  /** Where the window's state ends: past its end and the allowed lateness. */
  Instant expiryOf(BoundedWindow window) {
    Instant end = window.maxTimestamp().plus(allowedLateness);
    return end.isAfter(BoundedWindow.TIMESTAMP_MAX_VALUE) ? BoundedWindow.TIMESTAMP_MAX_VALUE : end;
  }

  /** Whether the window ever expires (the global window does not before the end of time). */
  static boolean expires(BoundedWindow window) {
    return window.maxTimestamp().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE);
  }

  /**
   * Sets the key's timer for the window's expiry, one millisecond after it, as runners-core's
   * cleanup timer: a user timer set for the window's last instant must fire (and read its state)
   * before the state is cleared.
   */
  void setTimer(KeyedState.Entry<ByteString> entry, BoundedWindow window) {
    Instant expiry = expiryOf(window);
    Instant cleanup =
        expiry.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)
            ? expiry.plus(Duration.millis(1))
            : expiry;
    entry.timers.setTimer(
        TimerInternals.TimerData.of(
            TIMER,
            TIMER,
            StateNamespaces.window(windowCoder, window),
            cleanup,
            cleanup,
            TimeDomain.EVENT_TIME));
  }
}
