package dev.millrace.translation.operators.stage;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Function;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.fnexecution.control.TimerReceiverFactory;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.Timer;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Instant;

/**
 * A keyed stage's harness as runners-core's {@code StatefulDoFnRunner} sees its DoFn: what that
 * runner lets through (input not late, sorted input once flushed, the harness's timers, window
 * expiry) is only queued here, and sent by {@link #sendQueued} once the stage has let go of its
 * lock. The stateful runner is called under that lock, and sending may wait for the harness, which
 * may itself wait for a state answer that a gRPC thread cannot give without the lock.
 *
 * <p>Keys come as the stage's keyed state names them (their encoding); only a timer that goes to
 * the harness needs the key decoded.
 */
final class HarnessRunner<T> implements DoFnRunner<T, Object> {
  /** What goes to the harness, in order: a main-input element or a timer of a family. */
  private record Send(WindowedValue<?> element, KV<String, String> family, Timer<?> timer) {}

  private final StageKeys stageKeys;
  private final List<KV<String, String>> windowExpirationTimers;
  private final Function<BoundedWindow, Instant> expiryOf;
  private final ArrayDeque<Send> queued = new ArrayDeque<>();

  /** {@code expiryOf}: where a window's state ends ({@link StageWindowExpiry#expiryOf}). */
  HarnessRunner(
      StageKeys stageKeys,
      List<KV<String, String>> windowExpirationTimers,
      Function<BoundedWindow, Instant> expiryOf) {
    this.stageKeys = stageKeys;
    this.windowExpirationTimers = windowExpirationTimers;
    this.expiryOf = expiryOf;
  }

  /** Remote bundles open and close with the engine's, not with the stateful runner's calls. */
  @Override
  public void startBundle() {}

  @Override
  public void finishBundle() {}

  @Override
  public void processElement(WindowedValue<T> element) {
    queued.add(new Send(element, null, null));
  }

  /** A timer the harness set; its family id is the one {@link TimerReceiverFactory} encoded. */
  @Override
  public <KeyT> void onTimer(
      String timerId,
      String timerFamilyId,
      KeyT key,
      BoundedWindow window,
      Instant timestamp,
      Instant outputTimestamp,
      TimeDomain timeDomain) {
    queued.add(
        new Send(
            null,
            TimerReceiverFactory.decodeTimerDataTimerId(timerFamilyId),
            Timer.of(
                stageKeys.keyOf((ByteString) key),
                timerId,
                List.of(window),
                timestamp,
                outputTimestamp,
                PaneInfo.NO_FIRING)));
  }

  /**
   * The window's {@code OnWindowExpiration} methods fire at its expiry (its end plus the allowed
   * lateness), as this stage has always sent them; runners-core passes the window's end instead.
   */
  @Override
  public <KeyT> void onWindowExpiration(BoundedWindow window, Instant timestamp, KeyT key) {
    if (windowExpirationTimers.isEmpty()) {
      return;
    }
    Instant expiry = expiryOf.apply(window);
    Object userKey = stageKeys.keyOf((ByteString) key);
    for (KV<String, String> family : windowExpirationTimers) {
      queued.add(
          new Send(
              null,
              family,
              Timer.of(userKey, "", List.of(window), expiry, expiry, PaneInfo.NO_FIRING)));
    }
  }

  /** The stage's DoFns run in the harness; nothing on this side has them. */
  @Override
  public DoFn<T, Object> getFn() {
    throw new UnsupportedOperationException("a portable stage's DoFns run in its SDK harness");
  }

  /** Sends what was queued, in order; the caller does not hold the stage's lock. */
  void sendQueued(StageHarness harness) throws Exception {
    Send next;
    while ((next = queued.poll()) != null) {
      if (next.element() != null) {
        harness.send(next.element());
      } else {
        harness.sendTimer(next.family(), next.timer());
      }
    }
  }
}
