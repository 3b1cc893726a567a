package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.BeamTime;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.NamespaceWindows;
import dev.millrace.state.keyed.TimerFiring;
import java.util.List;
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
 * Fires a keyed stage's due timers, a group of one timestamp at a time as {@link TimerFiring} hands
 * them over: the harness's own (sent back to it), and the runner's, which flush time-sorted input
 * ({@link StageSortBuffer}) and expire windows ({@link StageWindowExpiry}: {@code
 * OnWindowExpiration} timers, then the window's state cleared). Each group's remote bundle closes
 * before the next group is polled, so what the harness sets in reply is in the store by then.
 */
final class StageTimers<T> implements TimerFiring.Target<ByteString> {
  /**
   * Timestamps fired per call before the engine gets to end the bundle: each costs a remote bundle,
   * so fewer than in-process operators fire.
   */
  static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.TIMESTAMP, TimerFiring.AtEnd.FIRE_PROCESSING_TIMERS_FIRST, 100);

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
    this.mainInputWatermark = mainInputWatermark;
  }

  /** The timers of one timestamp go to the harness in one remote bundle, closed before the next. */
  @Override
  public void fire(List<KeyedState.Due<ByteString>> due) throws Exception {
    for (KeyedState.Due<ByteString> timer : due) {
      fire(timer);
    }
    closeBundle.run();
  }

  private void fire(KeyedState.Due<ByteString> due) throws Exception {
    TimerInternals.TimerData timer = due.timer();
    BoundedWindow window = NamespaceWindows.windowOf(timer.getNamespace());
    switch (timer.getTimerFamilyId()) {
      case StageSortBuffer.FLUSH_TIMER ->
          flushSorted(due.entry(), window, BeamTime.toInstant(mainInputWatermark.getAsLong()));
      case StageWindowExpiry.TIMER -> expire(due.entry(), window, expiry.expiryOf(window));
      default -> {
        if (timer.getDomain() != TimeDomain.EVENT_TIME
            && expiry.expiryOf(window).isBefore(keys.inputWatermark())) {
          return; // a processing-time timer of an expired window: its state is gone
        }
        sendTimer(
            due.entry(),
            TimerReceiverFactory.decodeTimerDataTimerId(timer.getTimerFamilyId()),
            timer,
            window);
      }
    }
  }

  /**
   * A key's window expired: what it kept for sorting goes out, the DoFns' {@code
   * OnWindowExpiration} timers fire, then its state is cleared. The timers go in the same bundle as
   * the sorted input, after it; the state is cleared once the bundle has closed, as the harness may
   * still read it until then.
   */
  private void expire(KeyedState.Entry<ByteString> entry, BoundedWindow window, Instant at)
      throws Exception {
    if (spec.requiresTimeSortedInput()) {
      flushSorted(entry, window, BoundedWindow.TIMESTAMP_MAX_VALUE);
    }
    for (KV<String, String> family : spec.windowExpirationTimers()) {
      sendTimer(
          entry,
          family,
          TimerInternals.TimerData.of(
              "", "", StateNamespaces.window(windowCoder, window), at, at, TimeDomain.EVENT_TIME),
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
      KeyedState.Entry<ByteString> entry,
      KV<String, String> family,
      TimerInternals.TimerData timer,
      BoundedWindow window)
      throws Exception {
    Object key = stageKeys.keyOf(entry);
    harness.sendTimer(
        family,
        Timer.of(
            key,
            timer.getTimerId(),
            List.of(window),
            timer.getTimestamp(),
            timer.getOutputTimestamp(),
            PaneInfo.NO_FIRING));
  }

  /** Sends the kept elements of a key's window up to {@code upTo}, in timestamp order. */
  private void flushSorted(KeyedState.Entry<ByteString> entry, BoundedWindow window, Instant upTo)
      throws Exception {
    List<WindowedValue<T>> flush;
    synchronized (lock) {
      flush = sorted.takeUpTo(entry, window, upTo);
    }
    for (WindowedValue<T> element : flush) {
      harness.send(element);
    }
  }
}
