package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.BeamTime;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.NamespaceWindows;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.fnexecution.control.TimerReceiverFactory;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.Timer;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Instant;

/**
 * Fires a keyed stage's due timers: the harness's own (sent back to it), and the runner's, which
 * flush time-sorted input ({@link StageSortBuffer}) and expire windows ({@link StageWindowExpiry}:
 * {@code OnWindowExpiration} timers, then the window's state cleared).
 */
final class StageTimers<T> {
  /** Firing timestamps per call before the engine gets to end the bundle. */
  private static final int MAX_TIMER_ROUNDS = 100;

  /** Ends the open remote bundle (and takes in what it reported). */
  interface BundleCloser {
    void run() throws Exception;
  }

  private final StageSpec<T> spec;
  private final KeyedState<ByteString> keys;
  private final StageKeys stageKeys;
  private final Object lock;
  private final StageHarness harness;
  private final StageWindowExpiry expiry;
  private final StageSortBuffer<T> sorted;
  private final Coder<BoundedWindow> windowCoder;
  private final BundleCloser closeBundle;
  private final BooleanSupplier outputBlocked;
  /** The watermark timers fire by: the main input's, held back by input waiting for side inputs. */
  private final LongSupplier timerWatermark;
  private final LongSupplier mainInputWatermark;

  StageTimers(
      StageSpec<T> spec,
      KeyedState<ByteString> keys,
      StageKeys stageKeys,
      Object lock,
      StageHarness harness,
      StageWindowExpiry expiry,
      StageSortBuffer<T> sorted,
      Coder<BoundedWindow> windowCoder,
      BundleCloser closeBundle,
      BooleanSupplier outputBlocked,
      LongSupplier timerWatermark,
      LongSupplier mainInputWatermark) {
    this.spec = spec;
    this.keys = keys;
    this.stageKeys = stageKeys;
    this.lock = lock;
    this.harness = harness;
    this.expiry = expiry;
    this.sorted = sorted;
    this.windowCoder = windowCoder;
    this.closeBundle = closeBundle;
    this.outputBlocked = outputBlocked;
    this.timerWatermark = timerWatermark;
    this.mainInputWatermark = mainInputWatermark;
  }

  /**
   * Fires due timers: all those due at the earliest due timestamp go to the harness in one
   * bundle, which closes before the next timestamp's, so what the harness sets in reply is in the
   * store by then ({@link StageDueTimers} says which are due together). Stops after {@value
   * #MAX_TIMER_ROUNDS} rounds. Returns whether timers are left to fire (pending work).
   */
  boolean fire() throws Exception {
    // Input already sent may have set or cleared timers the harness reports only when its bundle
    // ends: until then the store does not know them, and a timer polled now could be one the
    // harness has since replaced.
    closeBundle.run();
    for (int round = 0; round < MAX_TIMER_ROUNDS; round++) {
      if (outputBlocked.getAsBoolean()) {
        return true;
      }
      List<KeyedState.Due<ByteString>> due;
      synchronized (lock) {
        due = StageDueTimers.next(keys, timerWatermark.getAsLong());
      }
      if (due.isEmpty()) {
        return false;
      }
      for (KeyedState.Due<ByteString> timer : due) {
        fire(timer);
      }
      closeBundle.run();
    }
    return true;
  }

  private void fire(KeyedState.Due<ByteString> due) throws Exception {
    TimerInternals.TimerData timer = due.timer();
    BoundedWindow window = NamespaceWindows.windowOf(timer.getNamespace());
    switch (timer.getTimerFamilyId()) {
      case StageSortBuffer.FLUSH_TIMER -> flushSorted(due.entry(), window, BeamTime.toInstant(mainInputWatermark.getAsLong()));
      case StageWindowExpiry.TIMER -> expire(due.entry(), window, expiry.expiryOf(window));
      default -> {
        if (timer.getDomain() != TimeDomain.EVENT_TIME && expiry.expiryOf(window).isBefore(keys.inputWatermark())) {
          return; // a processing-time timer of an expired window: its state is gone
        }
        sendTimer(due.entry(), TimerReceiverFactory.decodeTimerDataTimerId(timer.getTimerFamilyId()), timer, window);
      }
    }
    synchronized (lock) {
      keys.track(due.entry(), false);
    }
  }

  /**
   * A key's window expired: what it kept for sorting goes out, the DoFns' {@code
   * OnWindowExpiration} timers fire, then its state is cleared. The timers go in the same bundle
   * as the sorted input, after it; the state is cleared once the bundle has closed, as the harness
   * may still read it until then.
   */
  private void expire(KeyedState.Entry<ByteString> entry, BoundedWindow window, Instant at) throws Exception {
    if (spec.requiresTimeSortedInput()) {
      flushSorted(entry, window, BoundedWindow.TIMESTAMP_MAX_VALUE);
    }
    for (KV<String, String> family : spec.windowExpirationTimers()) {
      sendTimer(
          entry,
          family,
          TimerInternals.TimerData.of("", "", StateNamespaces.window(windowCoder, window), at, at, TimeDomain.EVENT_TIME),
          window);
    }
    closeBundle.run();
    synchronized (lock) {
      StateNamespace namespace = StateNamespaces.window(windowCoder, window);
      for (StageSpec.StateCell cell : spec.stateCells()) {
        StageUserState.clear(entry, namespace, cell);
      }
      sorted.clear(entry, namespace);
    }
  }

  private void sendTimer(
      KeyedState.Entry<ByteString> entry, KV<String, String> family, TimerInternals.TimerData timer, BoundedWindow window)
      throws Exception {
    Object key = stageKeys.keyOf(entry);
    harness.sendTimer(
        family,
        Timer.of(key, timer.getTimerId(), List.of(window), timer.getTimestamp(), timer.getOutputTimestamp(), PaneInfo.NO_FIRING));
  }

  /** Sends the kept elements of a key's window up to {@code upTo}, in timestamp order. */
  private void flushSorted(KeyedState.Entry<ByteString> entry, BoundedWindow window, Instant upTo) throws Exception {
    List<WindowedValue<T>> flush;
    synchronized (lock) {
      flush = sorted.takeUpTo(entry, window, upTo);
    }
    for (WindowedValue<T> element : flush) {
      harness.send(element);
    }
  }
}
