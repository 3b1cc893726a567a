package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.KeyedState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The input of a keyed stage whose DoFn requires time-sorted input, kept per key and window in the
 * key's state until the watermark passes it, then handed over in timestamp order. A flush timer at
 * the earliest kept timestamp (plus the allowed lateness) holds the watermark there, as
 * runners-core's sorting does for the Java path. The caller holds the stage's state lock.
 */
final class StageSortBuffer<T> {
  /** The family of the flush timer; also names the buffer's state cells. */
  static final String FLUSH_TIMER = "millrace-sort-flush";

  private final Coder<WindowedValue<T>> elementCoder;
  private final Coder<BoundedWindow> windowCoder;
  private final Duration allowedLateness;
  private final Function<BoundedWindow, Instant> expiryOf;

  StageSortBuffer(
      Coder<WindowedValue<T>> elementCoder,
      Coder<BoundedWindow> windowCoder,
      Duration allowedLateness,
      Function<BoundedWindow, Instant> expiryOf) {
    this.elementCoder = elementCoder;
    this.windowCoder = windowCoder;
    this.allowedLateness = allowedLateness;
    this.expiryOf = expiryOf;
  }

  /**
   * Keeps an element until the watermark passes its timestamp; dropped, as runners-core drops it,
   * when the watermark is already past it and the allowed lateness.
   */
  void keep(
      KeyedState.Entry<ByteString> entry,
      WindowedValue<T> element,
      BoundedWindow window,
      Instant watermark) {
    Instant latest = element.getTimestamp().plus(allowedLateness);
    if (watermark.isAfter(latest)) {
      return;
    }
    StateNamespace namespace = StateNamespaces.window(windowCoder, window);
    buffer(entry, namespace).add(element);
    ValueState<Instant> earliest = earliest(entry, namespace);
    Instant current = earliest.read();
    if (current == null || element.getTimestamp().isBefore(current)) {
      earliest.write(element.getTimestamp());
      setFlushTimer(entry, namespace, window, element.getTimestamp());
    }
  }

  /**
   * Removes and returns the kept elements of a key's window up to {@code upTo}, in timestamp order.
   */
  List<WindowedValue<T>> takeUpTo(
      KeyedState.Entry<ByteString> entry, BoundedWindow window, Instant upTo) {
    List<WindowedValue<T>> flush = new ArrayList<>();
    StateNamespace namespace = StateNamespaces.window(windowCoder, window);
    BagState<WindowedValue<T>> buffer = buffer(entry, namespace);
    List<WindowedValue<T>> keep = new ArrayList<>();
    Instant earliestKept = null;
    for (WindowedValue<T> element : buffer.read()) {
      if (element.getTimestamp().isAfter(upTo)) {
        keep.add(element);
        if (earliestKept == null || element.getTimestamp().isBefore(earliestKept)) {
          earliestKept = element.getTimestamp();
        }
      } else {
        flush.add(element);
      }
    }
    buffer.clear();
    ValueState<Instant> earliest = earliest(entry, namespace);
    if (earliestKept == null) {
      earliest.clear();
    } else {
      keep.forEach(buffer::add);
      earliest.write(earliestKept);
      setFlushTimer(entry, namespace, window, earliestKept);
    }
    flush.sort(Comparator.comparing(WindowedValue::getTimestamp));
    return flush;
  }

  /** Forgets what a key's window kept: the window expired. */
  void clear(KeyedState.Entry<ByteString> entry, StateNamespace namespace) {
    buffer(entry, namespace).clear();
    earliest(entry, namespace).clear();
  }

  private void setFlushTimer(
      KeyedState.Entry<ByteString> entry,
      StateNamespace namespace,
      BoundedWindow window,
      Instant earliest) {
    Instant at = earliest.plus(allowedLateness);
    Instant expiry = expiryOf.apply(window);
    entry.timers.setTimer(
        TimerInternals.TimerData.of(
            FLUSH_TIMER,
            FLUSH_TIMER,
            namespace,
            at.isAfter(expiry) ? expiry : at,
            earliest,
            TimeDomain.EVENT_TIME));
  }

  private BagState<WindowedValue<T>> buffer(
      KeyedState.Entry<ByteString> entry, StateNamespace namespace) {
    return entry.state.state(namespace, StateTags.bag(FLUSH_TIMER, elementCoder));
  }

  private ValueState<Instant> earliest(
      KeyedState.Entry<ByteString> entry, StateNamespace namespace) {
    return entry.state.state(
        namespace, StateTags.value(FLUSH_TIMER + "-earliest", InstantCoder.of()));
  }
}
