package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.CurrentKeyInternals;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.NamespaceWindows;
import dev.millrace.state.keyed.TimerFiring;
import java.util.List;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;

/**
 * A keyed stage's input and timers through runners-core's {@code StatefulDoFnRunner}, as the Java
 * path's {@code DoFnOperator} runs its stateful DoFns: it drops input of expired windows, keeps
 * input that must be seen in timestamp order until the watermark passes it, sets each key's window
 * an expiry timer ({@link StageWindowExpiry}), and at expiry flushes the sorted input, fires the
 * DoFns' {@code OnWindowExpiration} methods and clears the window's state ({@link
 * StageStateCleaner}). What it lets through goes to the harness ({@link HarnessRunner}) once the
 * stage's lock is let go.
 *
 * <p>{@link TimerFiring} hands over due timers a timestamp at a time: the runner's own and the
 * harness's, all of them in one remote bundle, which closes before the next timestamp is polled so
 * that what the harness sets in reply is in the store by then.
 */
final class StageKeyedRunner<T> implements TimerFiring.Target<ByteString> {
  /**
   * Timestamps fired per call before the engine gets to end the bundle: each costs a remote bundle,
   * so fewer than in-process operators fire.
   */
  static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.TIMESTAMP, TimerFiring.AtEnd.FIRE_PROCESSING_TIMERS_FIRST, 100);

  /** runners-core's id of the sort buffer's flush timer (private to {@code StatefulDoFnRunner}). */
  private static final String SORT_FLUSH_TIMER = "__StatefulParDoSortFlushTimerId";

  /** Ends the open remote bundle (and takes in what it reported). */
  interface BundleCloser {
    void run() throws Exception;
  }

  private final StageKeys stageKeys;
  private final KeyedState<ByteString> keys;
  private final Object lock;
  private final StageHarness harness;
  private final BundleCloser closeBundle;
  private final CurrentKeyInternals<ByteString> currentKey = new CurrentKeyInternals<>();
  private final HarnessRunner<T> toHarness;
  private final StageStateCleaner cleaner;
  private final StatefulDoFnRunner<T, Object, BoundedWindow> stateful;

  /** Null unless the input is sorted: what a checkpoint of an earlier build kept for sorting. */
  private final EarlierSortBuffer<T> earlierSorted;

  private final StateTag<BagState<WindowedValue<T>>> sortBuffer;

  @SuppressWarnings("unchecked")
  StageKeyedRunner(
      StageSpec<T> spec,
      StageKeys stageKeys,
      KeyedState<ByteString> keys,
      Object lock,
      StageHarness harness,
      Coder<BoundedWindow> windowCoder,
      BundleCloser closeBundle) {
    this.stageKeys = stageKeys;
    this.keys = keys;
    this.lock = lock;
    this.harness = harness;
    this.closeBundle = closeBundle;
    StageWindowExpiry<T> expiry =
        new StageWindowExpiry<>(
            spec.expiresWindows(),
            windowCoder,
            spec.mainWindowing().getAllowedLateness(),
            currentKey);
    toHarness = new HarnessRunner<>(stageKeys, spec.windowExpirationTimers(), expiry::expiryOf);
    cleaner = new StageStateCleaner(spec.stateCells(), windowCoder, currentKey);
    StepContext step =
        new StepContext() {
          @Override
          public StateInternals stateInternals() {
            return currentKey.state;
          }

          @Override
          public TimerInternals timerInternals() {
            return currentKey.timers;
          }
        };
    try {
      stateful =
          new StatefulDoFnRunner<>(
              toHarness,
              valueCoder(spec),
              step,
              spec.mainWindowing(),
              expiry,
              cleaner,
              spec.requiresTimeSortedInput());
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedOperationException(spec.stepName() + ": " + e.getMessage(), e);
    }
    List<StateTag<?>> runnerCells = stateful.getSystemStateTags();
    sortBuffer = (StateTag<BagState<WindowedValue<T>>>) runnerCells.get(0);
    if (spec.requiresTimeSortedInput()) {
      // Only sorting uses them: other stages' expiries write no deletes for cells never written.
      cleaner.sortsInput(runnerCells);
      earlierSorted = new EarlierSortBuffer<>(spec.mainInputCoder());
    } else {
      earlierSorted = null;
    }
  }

  private static <T> Coder<T> valueCoder(StageSpec<T> spec) {
    if (spec.mainInputCoder() instanceof WindowedValue.FullWindowedValueCoder<T> full) {
      return full.getValueCoder();
    }
    throw new IllegalStateException(
        spec.stepName() + ": a keyed stage's input coder is not a windowed value coder");
  }

  /** An element of a keyed stage, in all its windows. */
  void process(WindowedValue<T> element) throws Exception {
    synchronized (lock) {
      KeyedState.Entry<ByteString> entry = stageKeys.entryOf(element);
      currentKey.set(entry);
      stateful.processElement(element);
      keys.track(entry, false);
    }
    toHarness.sendQueued(harness);
  }

  /** The timers of one timestamp go to the harness in one remote bundle, closed before the next. */
  @Override
  public void fire(List<KeyedState.Due<ByteString>> due) throws Exception {
    synchronized (lock) {
      for (KeyedState.Due<ByteString> timer : due) {
        fire(timer);
      }
    }
    toHarness.sendQueued(harness);
    closeBundle.run();
    synchronized (lock) {
      cleaner.clearNoted();
    }
  }

  private void fire(KeyedState.Due<ByteString> due) {
    TimerInternals.TimerData timer = due.timer();
    KeyedState.Entry<ByteString> entry = due.entry();
    currentKey.set(entry);
    String timerId = timer.getTimerId();
    if (earlierSorted != null && isRunnerTimer(timerId)) {
      earlierSorted.moveInto(entry, timer.getNamespace(), sortBuffer);
      if (timerId.equals(EarlierSortBuffer.FLUSH_TIMER)) {
        timerId = SORT_FLUSH_TIMER;
      }
    }
    stateful.onTimer(
        timerId,
        timer.getTimerFamilyId(),
        entry.key,
        NamespaceWindows.windowOf(timer.getNamespace()),
        timer.getTimestamp(),
        timer.getOutputTimestamp(),
        timer.getDomain());
  }

  private static boolean isRunnerTimer(String timerId) {
    return timerId.equals(SORT_FLUSH_TIMER)
        || timerId.equals(StageWindowExpiry.TIMER)
        || timerId.equals(EarlierSortBuffer.FLUSH_TIMER);
  }
}
