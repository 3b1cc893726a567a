package dev.millrace.translation.operators;

import dev.millrace.plan.Watermarks;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * GroupByKey of bounded input with the default trigger, state in memory: holds every element until
 * the watermark reaches its end, then groups each key once: windows merged in one {@link
 * WindowFn#mergeWindows} call, one on-time pane per window, its timestamp from the {@link
 * TimestampCombiner} as ReduceFnRunner's watermark holds would give it. ReduceFnRunner, in {@link
 * GroupByKeyOperator}, pays per element for state tables and per bundle for each key's window set;
 * with all input known at once there is nothing for that machinery to do.
 *
 * <p>Its output watermark stays at the beginning of time until its input ends: an intermediate
 * input watermark (bounded collections do see some, such as the end of the global window) releases
 * nothing, which only delays downstream work that could not start before the input ends anyway.
 */
public final class BoundedGroupByKeyOperator<K, V, W extends BoundedWindow> extends AbstractOperator {
  private final Coder<K> keyCoder;
  private final WindowingStrategy<?, W> windowingStrategy;
  private final Map<EncodedKey, KeyGroup<K, V>> keys = new HashMap<>();
  private boolean emitted;

  /** The elements of one key, each in its own windows. */
  private static final class KeyGroup<K, V> {
    final K key;
    final List<WindowedValue<V>> values = new ArrayList<>();

    KeyGroup(K key) {
      this.key = key;
    }
  }

  @SuppressWarnings("unchecked")
  public BoundedGroupByKeyOperator(Coder<K> keyCoder, WindowingStrategy<?, ?> windowingStrategy) {
    super(1);
    this.keyCoder = keyCoder;
    this.windowingStrategy = (WindowingStrategy<?, W>) windowingStrategy;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, V>> value = (WindowedValue<KV<K, V>>) element;
    K key = value.getValue().getKey();
    keys.computeIfAbsent(EncodedKey.of(keyCoder, key), k -> new KeyGroup<>(key))
        .values
        .add(value.withValue(value.getValue().getValue()));
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    if (watermark < Watermarks.END || emitted) {
      return;
    }
    for (KeyGroup<K, V> group : keys.values()) {
      emit(group);
    }
    keys.clear();
    emitted = true;
  }

  @Override
  public long outputWatermark() {
    return emitted ? minInputWatermark() : Watermarks.MIN;
  }

  private void emit(KeyGroup<K, V> group) throws Exception {
    // window -> its values and the watermark holds they would have set
    Map<W, List<V>> values = new LinkedHashMap<>();
    Map<W, List<Instant>> holds = new HashMap<>();
    TimestampCombiner combiner = windowingStrategy.getTimestampCombiner();
    for (WindowedValue<V> element : group.values) {
      for (BoundedWindow w : element.getWindows()) {
        @SuppressWarnings("unchecked")
        W window = (W) w;
        values.computeIfAbsent(window, x -> new ArrayList<>()).add(element.getValue());
        holds.computeIfAbsent(window, x -> new ArrayList<>()).add(combiner.assign(window, element.getTimestamp()));
      }
    }
    Map<W, W> mergedInto = merge(values.keySet());
    Map<W, List<V>> outputValues = new LinkedHashMap<>();
    Map<W, List<Instant>> outputHolds = new HashMap<>();
    for (Map.Entry<W, List<V>> e : values.entrySet()) {
      W target = mergedInto.getOrDefault(e.getKey(), e.getKey());
      outputValues.computeIfAbsent(target, x -> new ArrayList<>()).addAll(e.getValue());
      outputHolds.computeIfAbsent(target, x -> new ArrayList<>()).addAll(holds.get(e.getKey()));
    }
    for (Map.Entry<W, List<V>> e : outputValues.entrySet()) {
      W window = e.getKey();
      List<Instant> windowHolds = outputHolds.get(window);
      Instant timestamp =
          mergedInto.containsValue(window) ? combiner.merge(window, windowHolds) : combiner.combine(windowHolds);
      if (timestamp.isAfter(window.maxTimestamp())) {
        timestamp = window.maxTimestamp(); // as ReduceFnRunner clips a hold past the window
      }
      EmitterCalls.emit(
          output(0),
          WindowedValue.of(KV.of(group.key, (Iterable<V>) e.getValue()), timestamp, window, PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
  }

  /** For merging window functions, which window each window was merged into (one merge pass). */
  @SuppressWarnings("unchecked")
  private Map<W, W> merge(Collection<W> windows) throws Exception {
    Map<W, W> mergedInto = new HashMap<>();
    WindowFn<Object, W> windowFn = (WindowFn<Object, W>) windowingStrategy.getWindowFn();
    if (windowFn.isNonMerging()) {
      return mergedInto;
    }
    windowFn.mergeWindows(
        windowFn.new MergeContext() {
          @Override
          public Collection<W> windows() {
            return windows;
          }

          @Override
          public void merge(Collection<W> toBeMerged, W mergeResult) {
            for (W w : toBeMerged) {
              mergedInto.put(w, mergeResult);
            }
          }
        });
    return mergedInto;
  }
}
