package dev.millrace.translation.operators.grouping.onepane;

import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.operators.EmitterCalls;
import dev.millrace.translation.operators.grouping.KeyedGroupingOperator;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A streaming grouping whose every window gives exactly one pane: on time, when the watermark
 * passes the window's end, stamped with that end, input behind the watermark dropped. That is what
 * runners-core's {@code ReduceFnRunner} gives under Beam's defaults (the default trigger, no
 * allowed lateness, end-of-window timestamps), so none of its trigger, pane and hold machinery is
 * needed: each input goes into its window's state as it comes (an accumulator, or a bag of values),
 * and a timer sends the window's result out.
 */
abstract class OnePaneOperator<K, InputT, OutputT> extends KeyedGroupingOperator<K> {
  /** Each due timer in a call of its own; a key's timers are few. */
  static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.ONE,
          TimerFiring.AtEnd.DROP_PROCESSING_TIMERS,
          TimerFiring.MAX_GROUPS_PER_CALL);

  private static final String WINDOW_END_TIMER = "window-end";

  /** Whether every window of this windowing fires once, on time, at its end. */
  static boolean firesOncePerWindow(WindowingStrategy<?, ?> windowing) {
    return windowing.getTrigger() instanceof DefaultTrigger
        && windowing.getAllowedLateness().isEqual(Duration.ZERO)
        && windowing.getTimestampCombiner() == TimestampCombiner.END_OF_WINDOW;
  }

  OnePaneOperator(
      KvCoder<K, InputT> inputCoder, WindowingStrategy<?, ?> windowing, StateBackend stateBackend) {
    super(
        inputCoder.getKeyCoder(),
        windowing.getWindowFn().windowCoder(),
        FIRING_RULES,
        stateBackend);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, InputT>> value = (WindowedValue<KV<K, InputT>>) element;
    KeyedState.Entry<K> entry = null;
    for (BoundedWindow window : value.getWindows()) {
      // Late as runners-core's LateDataUtils has it: the window's end (no lateness) is behind the
      // input watermark the timers have seen (a window due but not yet fired can still take more).
      if (window.maxTimestamp().isBefore(keys.inputWatermark())) {
        continue;
      }
      if (entry == null) {
        entry = keys.entry(value.getValue().getKey());
      }
      add(entry, window, value.getValue().getValue());
    }
    if (entry != null) {
      keys.track(entry, false);
    }
  }

  /** Adds {@code input} to the state of {@code window} (not late) of the entry's key. */
  abstract void add(KeyedState.Entry<K> entry, BoundedWindow window, InputT input);

  /**
   * Sets the timer that sends {@code window}'s result out: due when the watermark passes the
   * window's last instant, and until then holding the output back there, the timestamp the pane
   * carries.
   */
  static void setWindowEndTimer(
      KeyedState.Entry<?> entry, StateNamespace namespace, BoundedWindow window) {
    Instant maxTimestamp = window.maxTimestamp();
    entry.timers.setTimer(
        namespace, WINDOW_END_TIMER, "", maxTimestamp, maxTimestamp, TimeDomain.EVENT_TIME);
  }

  /** The window of a timer set by {@link #setWindowEndTimer}. */
  @SuppressWarnings("unchecked")
  static BoundedWindow windowOf(KeyedState.Due<?> due) {
    return ((StateNamespaces.WindowNamespace<BoundedWindow>) due.timer().getNamespace())
        .getWindow();
  }

  /** The window's one pane. */
  void emit(K key, OutputT result, BoundedWindow window) {
    EmitterCalls.emit(
        output(0),
        WindowedValue.of(
            KV.of(key, result), window.maxTimestamp(), window, PaneInfo.ON_TIME_AND_ONLY_FIRING));
  }
}
