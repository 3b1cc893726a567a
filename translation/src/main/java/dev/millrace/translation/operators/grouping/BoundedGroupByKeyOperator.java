package dev.millrace.translation.operators.grouping;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.MemoryBudget;
import dev.millrace.state.backend.GroupingBuffer;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.EncodedKey;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.EmitterCalls;
import dev.millrace.translation.operators.OutputWatermark;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * GroupByKey of bounded input with the default trigger: holds every element until the watermark
 * reaches its end (encoded on the heap within the job's grouping memory and in sorted runs on disk
 * past it, or in RocksDB with {@code --stateBackend=ROCKSDB}; see {@link GroupingBuffer}), then
 * groups each key once: windows merged in one {@link WindowFn#mergeWindows} call, one on-time pane
 * per window, its timestamp from the {@link TimestampCombiner} as ReduceFnRunner's watermark holds
 * would give it. ReduceFnRunner, in {@link GroupByKeyOperator}, pays per element for state tables
 * and per bundle for each key's window set; with all input known at once there is nothing for that
 * machinery to do.
 *
 * <p>Its output watermark stays at the beginning of time until its input ends: an intermediate
 * input watermark (bounded collections do see some, such as the end of the global window) releases
 * nothing, which only delays downstream work that could not start before the input ends anyway.
 */
public final class BoundedGroupByKeyOperator<K, V, W extends BoundedWindow>
    extends AbstractOperator {
  private final KvCoder<K, V> inputCoder;
  private final WindowingStrategy<?, W> windowingStrategy;
  private final StateBackend stateBackend;
  private final MemoryBudget memory;
  private GroupingBuffer<K, V> buffer;
  private boolean draining;
  private boolean emitted;

  @SuppressWarnings("unchecked")
  public BoundedGroupByKeyOperator(
      KvCoder<K, V> inputCoder,
      WindowingStrategy<?, ?> windowingStrategy,
      StateBackend stateBackend,
      MemoryBudget memory) {
    super(1);
    this.inputCoder = inputCoder;
    this.windowingStrategy = (WindowingStrategy<?, W>) windowingStrategy;
    this.stateBackend = stateBackend;
    this.memory = memory;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    buffer =
        stateBackend.groupingBuffer(
            inputCoder.getKeyCoder(),
            inputCoder.getValueCoder(),
            windowingStrategy.getWindowFn().windowCoder(),
            memory);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, V>> value = (WindowedValue<KV<K, V>>) element;
    K key = value.getValue().getKey();
    buffer.add(
        key,
        EncodedKey.of(inputCoder.getKeyCoder(), key),
        value.withValue(value.getValue().getValue()));
  }

  @Override
  public void finishBundle() throws Exception {
    buffer.commit();
  }

  @Override
  public void close() {
    if (buffer != null) {
      buffer.close();
    }
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    if (watermark < Watermarks.END || draining) {
      return;
    }
    draining = true;
    continueWork();
  }

  /** The grouped output goes out a key at a time, pausing while downstream is full. */
  @Override
  public boolean hasPendingWork() {
    return draining && !emitted;
  }

  @Override
  public void continueWork() throws Exception {
    emitted = buffer.drain(this::emit, context::isOutputBlocked);
  }

  @Override
  public String describeWatermarkHold() {
    return emitted ? "" : "batch grouping: held until every group has gone out at the input's end";
  }

  @Override
  public long outputWatermark() {
    // Everything is held until the grouped output has gone out.
    return OutputWatermark.buffered(
        minInputWatermark(), emitted ? OutputWatermark.NO_HOLD : Watermarks.MIN);
  }

  private void emit(K key, List<WindowedValue<V>> elements) throws Exception {
    // window -> its values and the watermark holds they would have set
    Map<W, List<V>> values = new LinkedHashMap<>();
    Map<W, List<Instant>> holds = new HashMap<>();
    TimestampCombiner combiner = windowingStrategy.getTimestampCombiner();
    for (WindowedValue<V> element : elements) {
      for (BoundedWindow w : element.getWindows()) {
        @SuppressWarnings("unchecked")
        W window = (W) w;
        values.computeIfAbsent(window, x -> new ArrayList<>()).add(element.getValue());
        holds
            .computeIfAbsent(window, x -> new ArrayList<>())
            .add(combiner.assign(window, element.getTimestamp()));
      }
    }
    Map<W, W> mergedInto = merge(values.keySet());
    // A set, not mergedInto.containsValue: that scans every merged window once per output window.
    Set<W> mergeResults = new HashSet<>(mergedInto.values());
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
          mergeResults.contains(window)
              ? combiner.merge(window, windowHolds)
              : combiner.combine(windowHolds);
      if (timestamp.isAfter(window.maxTimestamp())) {
        timestamp = window.maxTimestamp(); // as ReduceFnRunner clips a hold past the window
      }
      EmitterCalls.emit(
          output(0),
          WindowedValue.of(
              KV.of(key, (Iterable<V>) e.getValue()),
              timestamp,
              window,
              PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
  }

  /** For merging window functions, which window each window was merged into (one merge pass). */
  @SuppressWarnings("unchecked")
  private Map<W, W> merge(Collection<W> windows) throws Exception {
    Map<W, W> mergedInto = new HashMap<>();
    WindowFn<Object, W> windowFn = (WindowFn<Object, W>) windowingStrategy.getWindowFn();
    if (!windowingStrategy.needsMerge()) {
      // Non-merging, or merged by an earlier GroupByKey: its windows are final, as ReduceFnRunner
      // takes them.
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
