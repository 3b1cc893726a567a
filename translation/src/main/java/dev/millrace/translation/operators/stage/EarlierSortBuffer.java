package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.KeyedState;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Instant;

/**
 * Time-sorted input that a checkpoint of an earlier build kept (up to {@code 0e15e7b}, before the
 * stage sorted through runners-core's {@code StatefulDoFnRunner}): per key and window, in cells and
 * under a flush timer of the stage's own. Before the stateful runner flushes or expires a key's
 * window, what the window kept there joins the stateful runner's buffer, so that the window's input
 * still goes out once and in timestamp order. On a job that never ran such a build the cells are
 * empty, and reading them costs one look per flush.
 */
final class EarlierSortBuffer<T> {
  /** The family and id of the earlier flush timer; also named the cells. */
  static final String FLUSH_TIMER = "millrace-sort-flush";

  private final StateTag<BagState<WindowedValue<T>>> kept;
  private final StateTag<ValueState<Instant>> earliest =
      StateTags.value(FLUSH_TIMER + "-earliest", InstantCoder.of());

  EarlierSortBuffer(Coder<WindowedValue<T>> elementCoder) {
    this.kept = StateTags.bag(FLUSH_TIMER, elementCoder);
  }

  /**
   * Moves what {@code entry}'s window kept into its cell {@code buffer}, the stateful runner's; the
   * caller holds the lock.
   */
  void moveInto(
      KeyedState.Entry<ByteString> entry,
      StateNamespace window,
      StateTag<BagState<WindowedValue<T>>> buffer) {
    BagState<WindowedValue<T>> earlier = entry.state.state(window, kept);
    Iterable<WindowedValue<T>> elements = earlier.read();
    if (!elements.iterator().hasNext()) {
      return;
    }
    elements.forEach(entry.state.state(window, buffer)::add);
    earlier.clear();
    entry.state.state(window, earliest).clear();
  }
}
