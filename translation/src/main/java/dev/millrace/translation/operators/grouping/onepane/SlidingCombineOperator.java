package dev.millrace.translation.operators.grouping.onepane;

import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.translation.operators.grouping.SlidingSlices;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * Combine.perKey over sliding windows whose size is a multiple of their period, one pane per window
 * (see {@link OnePaneOperator}), by slices: an input in all the windows of its period (the slice
 * where they overlap) goes once into that slice's accumulator, not into each of its windows'. When
 * a window fires, the accumulators of its slices are merged; its oldest slice, in no later window,
 * is cleared.
 *
 * <p>A key's windows fire in a chain: an input's first window that is not late gets a timer when
 * its slice is new, and each window that fires sets the timer of the next one if a slice it shares
 * with it holds anything. So a key holds one accumulator per slice and about one timer per slice,
 * where one per window would take size ÷ period of each. An input whose windows are not the sliding
 * windows of one slice (windows set by an earlier step, not by this windowing) goes into each of
 * its windows' own accumulator, merged in when that window fires.
 */
public final class SlidingCombineOperator<K, InputT, AccumT, OutputT>
    extends OnePaneCombineOperator<K, InputT, AccumT, OutputT> {
  private final Coder<BoundedWindow> windowCoder;
  private final Coder<AccumT> accumulatorCoder;
  private final SlidingSlices slices;
  private final long size;
  private final long period;
  private final StateTag<ValueState<AccumT>> sliceTag;
  private final StateTag<ValueState<AccumT>> windowTag;

  /** Whether this operator gives the general grouping's result for this windowing. */
  public static boolean applies(WindowingStrategy<?, ?> windowing) {
    return SlidingSlices.of(windowing) != null && firesOncePerWindow(windowing);
  }

  @SuppressWarnings("unchecked")
  public SlidingCombineOperator(
      KvCoder<K, InputT> inputCoder,
      WindowingStrategy<?, ?> windowing,
      Combine.CombineFn<InputT, AccumT, OutputT> combineFn,
      Coder<AccumT> accumulatorCoder,
      StateBackend stateBackend) {
    super(inputCoder, windowing, combineFn, stateBackend);
    if (!applies(windowing)) {
      throw new IllegalArgumentException("not sliding windows this combine slices: " + windowing);
    }
    this.windowCoder = (Coder<BoundedWindow>) windowing.getWindowFn().windowCoder();
    this.accumulatorCoder = accumulatorCoder;
    this.slices = SlidingSlices.of(windowing);
    this.size = slices.size();
    this.period = slices.period();
    this.sliceTag = StateTags.value("slice-accumulator", accumulatorCoder);
    this.windowTag = StateTags.value("window-accumulator", accumulatorCoder);
  }

  @Override
  protected String stateLayout() {
    return "one-pane sliding combine by slices v1";
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, InputT>> value = (WindowedValue<KV<K, InputT>>) element;
    long slice = slices.sliceOf(value.getWindows());
    if (slice == SlidingSlices.NO_SLICE) {
      super.processElement(port, element); // window by window, through add()
      return;
    }
    // The first of the slice's windows that is not late (its end is not behind the watermark the
    // timers have seen), as OnePaneOperator judges each window.
    long watermark = keys.inputWatermark().getMillis();
    long end = slice + period;
    if (end - 1 < watermark) {
      end += Math.floorDiv(watermark - end, period) * period + period;
    }
    if (end > slice + size) {
      return; // late for every window
    }
    KeyedState.Entry<K> entry = keys.entry(value.getValue().getKey());
    ValueState<AccumT> cell = entry.state.state(namespace(slice, slice + period), sliceTag);
    if (addTo(cell, value.getValue().getValue())) {
      // Windows after this one are set by the chain, as each fires.
      IntervalWindow first = new IntervalWindow(new Instant(end - size), new Instant(end));
      setWindowEndTimer(entry, StateNamespaces.window(windowCoder, first), first);
    }
    keys.track(entry, false);
  }

  private StateNamespace namespace(long start, long end) {
    return StateNamespaces.window(
        windowCoder, new IntervalWindow(new Instant(start), new Instant(end)));
  }

  /** An input of windows other than one slice's: into each window's own accumulator. */
  @Override
  void add(KeyedState.Entry<K> entry, BoundedWindow window, InputT input) {
    StateNamespace namespace = StateNamespaces.window(windowCoder, window);
    if (addTo(entry.state.state(namespace, windowTag), input)) {
      setWindowEndTimer(entry, namespace, window);
    }
  }

  @Override
  protected void fire(List<KeyedState.Due<K>> due) throws Exception {
    for (KeyedState.Due<K> timer : due) {
      KeyedState.Entry<K> entry = timer.entry();
      BoundedWindow window = windowOf(timer);
      // Each part is this window's to change: a CombineFn's merge may change what it is given.
      List<AccumT> parts = new ArrayList<>();
      ValueState<AccumT> own = entry.state.state(timer.timer().getNamespace(), windowTag);
      AccumT ownAccumulator = own.read();
      if (ownAccumulator != null) {
        parts.add(ownAccumulator);
        own.clear();
      }
      boolean sharedWithNext = false;
      if (window instanceof IntervalWindow interval
          && interval.end().getMillis() - interval.start().getMillis() == size) {
        long start = interval.start().getMillis();
        for (long slice = start; slice < start + size; slice += period) {
          ValueState<AccumT> cell = entry.state.state(namespace(slice, slice + period), sliceTag);
          AccumT accumulator = cell.read();
          if (accumulator == null) {
            continue;
          }
          if (slice == start) {
            parts.add(accumulator); // in no later window
            cell.clear();
          } else {
            parts.add(CoderUtils.clone(accumulatorCoder, accumulator));
            sharedWithNext = true;
          }
        }
        if (sharedWithNext) {
          IntervalWindow next =
              new IntervalWindow(new Instant(start + period), new Instant(start + period + size));
          setWindowEndTimer(entry, StateNamespaces.window(windowCoder, next), next);
        }
      }
      if (!parts.isEmpty()) {
        AccumT merged = parts.size() == 1 ? parts.get(0) : fn.mergeAccumulators(parts);
        emit(entry.key, fn.extractOutput(merged), window);
      }
    }
  }
}
