package dev.millrace.translation.operators.grouping.sessions;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.EmitterCalls;
import dev.millrace.translation.operators.OutputWatermark;
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
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Combine.perKey over session windows, for the one windowing where a session's result is a single
 * on-time pane: {@link Sessions}, the default trigger, no allowed lateness and the end of the
 * window as the result's timestamp (Beam's defaults for sessions; {@link #applies} says which).
 * Each input is added to its session's accumulator as it comes; a session that grows into others
 * takes their accumulators in; when the watermark passes a session's end its result goes out and
 * its state is gone.
 *
 * <p>It gives what GroupByKey through runners-core's {@code ReduceFnRunner} followed by the
 * CombineFn gives, at a small cost per element: the key's open sessions are a {@link SessionIndex}
 * of a few numbers each, and no values are buffered. State and timers live in the {@link
 * KeyedState} (memory or RocksDB), so checkpoints hold them as they hold any grouping's.
 */
public final class SessionCombineOperator<K, InputT, AccumT, OutputT> extends AbstractOperator {
  private static final String TIMER_ID = "first-session-end";
  private static final StateTag<ValueState<SessionIndex>> INDEX =
      StateTags.value("sessions", SessionIndex.CODER);

  /** A key has one timer, for whichever of its sessions ends first. */
  private static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.ONE,
          TimerFiring.AtEnd.DROP_PROCESSING_TIMERS,
          TimerFiring.MAX_GROUPS_PER_CALL);

  private final KvCoder<K, InputT> inputCoder;
  private final Combine.CombineFn<InputT, AccumT, OutputT> combineFn;

  /** Each open session's accumulator, by its address: the start of the first window it held. */
  private final StateTag<MapState<Long, AccumT>> accumulatorsTag;

  private final StateBackend stateBackend;
  private Combine.CombineFn<InputT, AccumT, OutputT> fn;
  private KeyedState<K> keys;
  private TimerFiring<K> timers;

  /**
   * Whether this operator gives the same result as the general grouping for this windowing: every
   * session fires exactly once, on time, at its end, and input behind the watermark is dropped.
   */
  public static boolean applies(WindowingStrategy<?, ?> windowing) {
    return windowing.getWindowFn() instanceof Sessions
        && windowing.getTrigger() instanceof DefaultTrigger
        && windowing.getAllowedLateness().isEqual(Duration.ZERO)
        && windowing.getTimestampCombiner() == TimestampCombiner.END_OF_WINDOW;
  }

  public SessionCombineOperator(
      KvCoder<K, InputT> inputCoder,
      Combine.CombineFn<InputT, AccumT, OutputT> combineFn,
      Coder<AccumT> accumulatorCoder,
      StateBackend stateBackend) {
    super(1);
    this.inputCoder = inputCoder;
    this.combineFn = combineFn;
    this.accumulatorsTag = StateTags.map("accumulators", VarLongCoder.of(), accumulatorCoder);
    this.stateBackend = stateBackend;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    // Each subtask its own copy: user code need not be thread-safe.
    fn = SerializableUtils.clone(combineFn);
    keys =
        new KeyedState<>(
            inputCoder.getKeyCoder(),
            stateBackend.keyedStore(IntervalWindow.getCoder()),
            context::currentProcessingTime,
            context::currentSynchronizedProcessingTime);
    timers =
        new TimerFiring<>(
            keys, context, FIRING_RULES, this::minInputWatermark, new Object(), this::endSessions);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, InputT>> value = (WindowedValue<KV<K, InputT>>) element;
    KeyedState.Entry<K> entry = null;
    for (BoundedWindow window : value.getWindows()) {
      IntervalWindow session = (IntervalWindow) window;
      // Late as runners-core's LateDataUtils has it: the window's end (no lateness) is behind the
      // input watermark the timers have seen (sessions due but not yet ended can still grow).
      if (session.maxTimestamp().isBefore(keys.inputWatermark())) {
        continue;
      }
      if (entry == null) {
        entry = keys.entry(value.getValue().getKey());
      }
      add(entry, session, value.getValue().getValue());
    }
    if (entry != null) {
      keys.track(entry, false);
    }
  }

  private void add(KeyedState.Entry<K> entry, IntervalWindow window, InputT input) {
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
  private void endSessions(List<KeyedState.Due<K>> due) {
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
      EmitterCalls.emit(
          output(0),
          WindowedValue.of(
              KV.of(entry.key, result),
              session.maxTimestamp(),
              session,
              PaneInfo.ON_TIME_AND_ONLY_FIRING));
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

  @Override
  public void startBundle() {
    keys.startBundle();
  }

  @Override
  public void finishBundle() throws Exception {
    keys.commit();
    keys.outputWatermarkIs(outputWatermark());
  }

  @Override
  public void close() {
    if (keys != null) {
      keys.close();
    }
  }

  /** The sessions' index, accumulators and timer are all in the keyed state. */
  @Override
  public boolean isCheckpointable() {
    return true;
  }

  @Override
  protected void snapshotOperator(SnapshotWriter out) throws Exception {
    keys.snapshot(out, "keyed-state");
  }

  @Override
  protected void restoreOperator(SnapshotReader in) throws Exception {
    keys.restore(in, "keyed-state");
    timers.lookForDueTimers();
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    timers.fire();
  }

  /** Held back by each key's timer: each result carries its session's end. */
  @Override
  public long outputWatermark() {
    long input = minInputWatermark();
    return OutputWatermark.of(
        input,
        OutputWatermark.NO_HOLD,
        keys.holdBack(input),
        OutputWatermark.NO_HOLD,
        OutputWatermark.NO_HOLD);
  }

  @Override
  public void processWatermark(int port, long watermark) throws Exception {
    super.processWatermark(port, watermark);
    keys.outputWatermarkIs(outputWatermark());
  }

  @Override
  public long nextProcessingTime() {
    return keys.nextProcessingTime();
  }

  @Override
  public void onProcessingTime(long now) throws Exception {
    keys.advanceProcessingTime(new Instant(now));
    timers.fire();
  }

  @Override
  public boolean hasPendingWork() {
    return timers.isPending();
  }

  @Override
  public void continueWork() throws Exception {
    timers.fire();
  }
}
