package dev.millrace.translation.operators.grouping.onepane;

import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
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
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Combine.perKey over windows that never merge (fixed, sliding, global), one pane per window (see
 * {@link OnePaneOperator}): a key's window has its accumulator in a state cell of that window, set
 * up with a timer at the window's end on its first input; the timer sends the result out and clears
 * the cell. A lifted combine's accumulators come here through an {@code AccumulatorMergingFn}.
 */
public final class WindowCombineOperator<K, InputT, AccumT, OutputT>
    extends OnePaneCombineOperator<K, InputT, AccumT, OutputT> {
  private final Coder<BoundedWindow> windowCoder;
  private final StateTag<ValueState<AccumT>> accumulatorTag;

  /** Whether this operator gives the general grouping's result for this windowing. */
  public static boolean applies(WindowingStrategy<?, ?> windowing) {
    return windowing.getWindowFn().isNonMerging() && firesOncePerWindow(windowing);
  }

  @SuppressWarnings("unchecked")
  public WindowCombineOperator(
      KvCoder<K, InputT> inputCoder,
      WindowingStrategy<?, ?> windowing,
      Combine.CombineFn<InputT, AccumT, OutputT> combineFn,
      Coder<AccumT> accumulatorCoder,
      StateBackend stateBackend) {
    super(inputCoder, windowing, combineFn, stateBackend);
    this.windowCoder = (Coder<BoundedWindow>) windowing.getWindowFn().windowCoder();
    this.accumulatorTag = StateTags.value("accumulator", accumulatorCoder);
  }

  @Override
  protected String stateLayout() {
    return "one-pane window combine v1";
  }

  @Override
  void add(KeyedState.Entry<K> entry, BoundedWindow window, InputT input) {
    StateNamespace namespace = StateNamespaces.window(windowCoder, window);
    if (addTo(entry.state.state(namespace, accumulatorTag), input)) {
      setWindowEndTimer(entry, namespace, window);
    }
  }

  @Override
  protected void fire(List<KeyedState.Due<K>> due) {
    for (KeyedState.Due<K> timer : due) {
      KeyedState.Entry<K> entry = timer.entry();
      BoundedWindow window = windowOf(timer);
      ValueState<AccumT> cell = entry.state.state(timer.timer().getNamespace(), accumulatorTag);
      AccumT accumulator = cell.read();
      cell.clear();
      if (accumulator != null) {
        emit(entry.key, fn.extractOutput(accumulator), window);
      }
    }
  }
}
