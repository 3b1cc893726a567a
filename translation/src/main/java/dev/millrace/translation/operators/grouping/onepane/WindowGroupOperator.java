package dev.millrace.translation.operators.grouping.onepane;

import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.EncodedKey;
import dev.millrace.state.keyed.KeyedState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * GroupByKey over windows that never merge (fixed, sliding, global), one pane per window (see
 * {@link OnePaneOperator}): a key's values wait in a bag of their window, and a timer at the
 * window's end sends them out together and clears the bag.
 */
public final class WindowGroupOperator<K, V> extends OnePaneOperator<K, V, Iterable<V>> {
  private final Coder<BoundedWindow> windowCoder;
  private final StateTag<BagState<V>> valuesTag;

  /**
   * The windows of keys whose timer this bundle already set: setting it again is a state read in
   * RocksDB, for every value.
   */
  private final Set<KeyWindow> timerSet = new HashSet<>();

  private record KeyWindow(EncodedKey key, BoundedWindow window) {}

  /** Whether this operator gives the general grouping's result for this windowing. */
  public static boolean applies(WindowingStrategy<?, ?> windowing) {
    return windowing.getWindowFn().isNonMerging() && firesOncePerWindow(windowing);
  }

  @SuppressWarnings("unchecked")
  public WindowGroupOperator(
      KvCoder<K, V> inputCoder, WindowingStrategy<?, ?> windowing, StateBackend stateBackend) {
    super(inputCoder, windowing, stateBackend);
    this.windowCoder = (Coder<BoundedWindow>) windowing.getWindowFn().windowCoder();
    this.valuesTag = StateTags.bag("values", inputCoder.getValueCoder());
  }

  @Override
  protected String stateLayout() {
    return "one-pane window grouping v1";
  }

  @Override
  void add(KeyedState.Entry<K> entry, BoundedWindow window, V value) {
    StateNamespace namespace = StateNamespaces.window(windowCoder, window);
    entry.state.state(namespace, valuesTag).add(value);
    if (timerSet.add(new KeyWindow(entry.id, window))) {
      setWindowEndTimer(entry, namespace, window);
    }
  }

  @Override
  protected void flushPending() {
    timerSet.clear();
  }

  @Override
  protected void fire(List<KeyedState.Due<K>> due) {
    for (KeyedState.Due<K> timer : due) {
      KeyedState.Entry<K> entry = timer.entry();
      BoundedWindow window = windowOf(timer);
      BagState<V> bag = entry.state.state(timer.timer().getNamespace(), valuesTag);
      List<V> values = new ArrayList<>();
      bag.read().forEach(values::add);
      bag.clear();
      if (!values.isEmpty()) {
        emit(entry.key, values, window);
      }
    }
  }
}
