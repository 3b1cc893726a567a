package dev.millrace.translation.operators.grouping;

import dev.millrace.state.keyed.EncodedKey;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.runners.core.GlobalCombineFnRunner;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;

/** Accumulators by (encoded key, window), with the output timestamp each will carry. */
final class CombineBuffer<K, InputT, AccumT, OutputT> {
  private final CombineSpec<K, InputT, AccumT, OutputT> spec;
  private final GlobalCombineFnRunner<InputT, AccumT, OutputT> runner;
  private final Map<Slot, Entry<K, AccumT>> entries = new HashMap<>();

  record Slot(EncodedKey key, BoundedWindow window) {
    Slot {
      Objects.requireNonNull(window);
    }
  }

  static final class Entry<K, AccumT> {
    final K key;
    final BoundedWindow window;

    /** The windows the accumulator goes out in: its window's own, or a slice's windows. */
    Collection<? extends BoundedWindow> windows;

    AccumT accumulator;
    Instant timestamp;

    Entry(K key, BoundedWindow window, AccumT accumulator, Instant timestamp) {
      this.key = key;
      this.window = window;
      this.accumulator = accumulator;
      this.timestamp = timestamp;
    }
  }

  CombineBuffer(CombineSpec<K, InputT, AccumT, OutputT> spec) {
    this.spec = spec;
    this.runner = spec.runner();
  }

  private Entry<K, AccumT> entry(K key, BoundedWindow window, Instant timestamp) throws Exception {
    Slot slot = new Slot(EncodedKey.of(spec.keyCoder(), key), window);
    Entry<K, AccumT> entry = entries.get(slot);
    if (entry == null) {
      AccumT empty =
          runner.createAccumulator(spec.options(), NullSideInputReader.empty(), List.of(window));
      entry = new Entry<>(key, window, empty, timestamp);
      entry.windows = List.of(window);
      entries.put(slot, entry);
    } else {
      entry.timestamp = spec.timestampCombiner().combine(entry.timestamp, timestamp);
    }
    return entry;
  }

  void addInput(K key, InputT input, BoundedWindow window, Instant elementTimestamp)
      throws Exception {
    TimestampCombiner combiner = spec.timestampCombiner();
    Entry<K, AccumT> entry = entry(key, window, combiner.assign(window, elementTimestamp));
    entry.accumulator =
        runner.addInput(
            entry.accumulator, input, spec.options(), NullSideInputReader.empty(), List.of(window));
  }

  /**
   * Adds an input in all the windows of the slice {@code slice} ({@link SlidingSlices}) once, to
   * that slice's accumulator, which goes out in those windows.
   */
  void addToSlice(
      K key,
      InputT input,
      BoundedWindow slice,
      Collection<? extends BoundedWindow> windows,
      Instant elementTimestamp)
      throws Exception {
    Entry<K, AccumT> entry =
        entry(key, slice, spec.timestampCombiner().assign(slice, elementTimestamp));
    entry.windows = windows;
    entry.accumulator =
        runner.addInput(
            entry.accumulator, input, spec.options(), NullSideInputReader.empty(), List.of(slice));
  }

  void mergeAccumulator(K key, AccumT accumulator, BoundedWindow window, Instant timestamp)
      throws Exception {
    Entry<K, AccumT> entry = entry(key, window, timestamp);
    entry.accumulator =
        runner.mergeAccumulators(
            List.of(entry.accumulator, accumulator),
            spec.options(),
            NullSideInputReader.empty(),
            List.of(window));
  }

  AccumT compact(Entry<K, AccumT> entry) {
    return runner.compact(
        entry.accumulator, spec.options(), NullSideInputReader.empty(), List.of(entry.window));
  }

  OutputT extract(Entry<K, AccumT> entry) {
    return runner.extractOutput(
        entry.accumulator, spec.options(), NullSideInputReader.empty(), List.of(entry.window));
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  Iterator<Entry<K, AccumT>> iterator() {
    return entries.values().iterator();
  }
}
