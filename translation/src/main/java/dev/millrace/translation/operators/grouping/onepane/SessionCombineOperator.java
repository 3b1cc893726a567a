package dev.millrace.translation.operators.grouping.onepane;

import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * Combine.perKey over {@link Sessions}, one pane per session (see {@link OnePaneOperator}): each
 * input is added to its session's accumulator as it comes; a session that grows into others takes
 * their accumulators in. The key's open sessions are a {@link SessionIndex} of a few numbers each,
 * where runners-core's merging window set is a map of window sets decoded, copied and re-encoded
 * for every element, and the key has one timer, for the session that ends first.
 */
public final class SessionCombineOperator<K, InputT, AccumT, OutputT>
    extends OnePaneCombineOperator<K, InputT, AccumT, OutputT> {
  private static final String TIMER_ID = "first-session-end";
  private static final StateTag<ValueState<SessionIndex>> INDEX =
      StateTags.value("sessions", SessionIndex.CODER);

  /** Each open session's accumulator, by its address: the start of the first window it held. */
  private final StateTag<MapState<Long, AccumT>> accumulatorsTag;

  /** Whether this operator gives the general grouping's result for this windowing. */
  public static boolean applies(WindowingStrategy<?, ?> windowing) {
    return windowing.getWindowFn() instanceof Sessions && firesOncePerWindow(windowing);
  }

  public SessionCombineOperator(
      KvCoder<K, InputT> inputCoder,
      WindowingStrategy<?, ?> windowing,
      Combine.CombineFn<InputT, AccumT, OutputT> combineFn,
      Coder<AccumT> accumulatorCoder,
      StateBackend stateBackend) {
    super(inputCoder, windowing, combineFn, stateBackend);
    this.accumulatorsTag = StateTags.map("accumulators", VarLongCoder.of(), accumulatorCoder);
  }

  @Override
  protected String stateLayout() {
    return "one-pane session combine v1";
  }

  @Override
  void add(KeyedState.Entry<K> entry, BoundedWindow bounded, InputT input) {
    IntervalWindow window = (IntervalWindow) bounded;
    ValueState<SessionIndex> indexCell = entry.state.state(StateNamespaces.global(), INDEX);
    MapState<Long, AccumT> accumulators = accumulators(entry);
    SessionIndex index = indexCell.read();
    if (index == null) {
      index = new SessionIndex();
    }
    long firstEndBefore = index.isEmpty() ? Long.MAX_VALUE : index.end(0);
    long start = window.start().getMillis();
    long end = window.end().getMillis();
    int first = index.firstOverlapping(start);
    int last = index.endOfOverlapping(first, end);
    long address;
    AccumT accumulator;
    if (first == last) {
      address = start;
      accumulator = fn.createAccumulator();
    } else {
      // The merged session keeps the first one's address; the others' accumulators move into it.
      address = index.address(first);
      start = Math.min(start, index.start(first));
      end = Math.max(end, index.end(last - 1));
      accumulator = accumulators.get(address).read();
      if (last - first > 1) {
        List<AccumT> merged = new ArrayList<>(last - first);
        merged.add(accumulator);
        for (int i = first + 1; i < last; i++) {
          merged.add(accumulators.get(index.address(i)).read());
          accumulators.remove(index.address(i));
        }
        accumulator = fn.mergeAccumulators(merged);
      }
    }
    accumulators.put(address, fn.addInput(accumulator, input));
    if (last - first == 1 && start == index.start(first) && end == index.end(first)) {
      return; // inside a session: only its accumulator changed
    }
    index.replace(first, last, start, end, address);
    indexCell.write(index);
    if (index.end(0) != firstEndBefore) {
      setTimer(entry, index);
    }
  }

  /**
   * The key's one timer: due when the watermark passes the earliest session's last instant, and
   * until then holding the output back there, the timestamp that session's result carries. Open
   * sessions are disjoint and sorted, so the earliest to end is the first.
   */
  private static void setTimer(KeyedState.Entry<?> entry, SessionIndex index) {
    Instant maxTimestamp = new Instant(index.end(0) - 1);
    entry.timers.setTimer(
        StateNamespaces.global(), TIMER_ID, "", maxTimestamp, maxTimestamp, TimeDomain.EVENT_TIME);
  }

  /** The result of every session of the timer's key whose end the watermark has passed. */
  @Override
  protected void fire(List<KeyedState.Due<K>> due) {
    KeyedState.Entry<K> entry = due.get(0).entry();
    ValueState<SessionIndex> indexCell = entry.state.state(StateNamespaces.global(), INDEX);
    SessionIndex index = indexCell.read();
    if (index == null) {
      return;
    }
    MapState<Long, AccumT> accumulators = accumulators(entry);
    Instant watermark = keys.inputWatermark();
    while (!index.isEmpty() && new Instant(index.end(0) - 1).isBefore(watermark)) {
      IntervalWindow session = index.window(0);
      long address = index.address(0);
      OutputT result = fn.extractOutput(accumulators.get(address).read());
      accumulators.remove(address);
      index.remove(0);
      emit(entry.key, result, session);
    }
    if (index.isEmpty()) {
      indexCell.clear();
    } else {
      indexCell.write(index);
      setTimer(entry, index);
    }
  }

  private MapState<Long, AccumT> accumulators(KeyedState.Entry<K> entry) {
    return entry.state.state(StateNamespaces.global(), accumulatorsTag);
  }
}
