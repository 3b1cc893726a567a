package dev.millrace.translation.operators.grouping;

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
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.LateDataUtils;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.OutputWindowedValue;
import org.apache.beam.runners.core.ReduceFnRunner;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.core.metrics.CounterCell;
import org.apache.beam.runners.core.triggers.ExecutableTriggerStateMachine;
import org.apache.beam.runners.core.triggers.TriggerStateMachines;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.TriggerTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * GroupByKey with any windowing, trigger, lateness and accumulation mode, through runners-core's
 * {@link ReduceFnRunner}. State and timers live in the {@link KeyedState} (memory or RocksDB);
 * elements of a bundle are handed to the runner once per key at the bundle's end.
 */
public final class GroupByKeyOperator<K, V, OutputT, W extends BoundedWindow>
    extends AbstractOperator {

  /** Makes the reduce function of one subtask: buffering (GroupByKey) or combining (Combine). */
  public interface ReduceFnFactory<K, V, OutputT, W extends BoundedWindow> {
    SystemReduceFn<K, V, ?, OutputT, W> create();
  }

  private final KvCoder<K, V> inputCoder;
  private final ReduceFnFactory<K, V, OutputT, W> reduceFnFactory;
  private SystemReduceFn<K, V, ?, OutputT, W> reduceFn;
  private final WindowingStrategy<?, W> windowingStrategy;
  private final boolean firesOnElements;
  private final PipelineOptions options;
  private final StateBackend stateBackend;
  private KeyedState<K> keys;

  /**
   * Each run of consecutive due timers of one key goes to ReduceFnRunner in one call (at the end of
   * bounded input that is every window of the key at once).
   */
  private static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.KEY_RUN,
          TimerFiring.AtEnd.DROP_PROCESSING_TIMERS,
          TimerFiring.MAX_GROUPS_PER_CALL);

  private TimerFiring<K> timers;
  private final Map<KeyedState.Entry<K>, List<WindowedValue<V>>> pending = new LinkedHashMap<>();
  private final CounterCell droppedDueToLateness =
      new CounterCell(MetricName.named(GroupByKeyOperator.class, "droppedDueToLateness"));
  private ExecutableTriggerStateMachine triggerStateMachine;

  /** GroupByKey: every value of a key and window, as an iterable, in each pane. */
  public static <K, V, W extends BoundedWindow> GroupByKeyOperator<K, V, Iterable<V>, W> grouping(
      KvCoder<K, V> inputCoder,
      WindowingStrategy<?, ?> windowingStrategy,
      PipelineOptions options,
      StateBackend stateBackend) {
    return new GroupByKeyOperator<>(
        inputCoder,
        () -> SystemReduceFn.buffering(inputCoder.getValueCoder()),
        windowingStrategy,
        options,
        stateBackend);
  }

  @SuppressWarnings("unchecked")
  public GroupByKeyOperator(
      KvCoder<K, V> inputCoder,
      ReduceFnFactory<K, V, OutputT, W> reduceFnFactory,
      WindowingStrategy<?, ?> windowingStrategy,
      PipelineOptions options,
      StateBackend stateBackend) {
    super(1);
    this.inputCoder = inputCoder;
    this.reduceFnFactory = reduceFnFactory;
    this.windowingStrategy = (WindowingStrategy<?, W>) windowingStrategy;
    this.firesOnElements = ElementTriggers.mayFireOnElement(windowingStrategy.getTrigger());
    this.options = options;
    this.stateBackend = stateBackend;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    reduceFn = reduceFnFactory.create();
    keys =
        new KeyedState<>(
            inputCoder.getKeyCoder(),
            stateBackend.keyedStore(windowingStrategy.getWindowFn().windowCoder()),
            context::currentProcessingTime,
            context::currentSynchronizedProcessingTime);
    timers =
        new TimerFiring<>(
            keys,
            context,
            FIRING_RULES,
            this::minInputWatermark,
            new Object(),
            due -> {
              ReduceFnRunner<K, V, OutputT, W> runner = runnerFor(due.get(0).entry());
              List<TimerInternals.TimerData> timers = new ArrayList<>(due.size());
              for (KeyedState.Due<K> timer : due) {
                timers.add(timer.timer());
              }
              runner.onTimers(timers);
              runner.persist();
            });
    triggerStateMachine =
        ExecutableTriggerStateMachine.create(
            TriggerStateMachines.stateMachineForTrigger(
                TriggerTranslation.toProto(windowingStrategy.getTrigger())));
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, V>> value = (WindowedValue<KV<K, V>>) element;
    pending
        .computeIfAbsent(keys.entry(value.getValue().getKey()), k -> new ArrayList<>())
        .add(value.withValue(value.getValue().getValue()));
  }

  private ReduceFnRunner<K, V, OutputT, W> runnerFor(KeyedState.Entry<K> state) {
    OutputWindowedValue<KV<K, OutputT>> outputter =
        new OutputWindowedValue<>() {
          @Override
          public void outputWindowedValue(
              KV<K, OutputT> output,
              Instant timestamp,
              Collection<? extends BoundedWindow> windows,
              PaneInfo pane) {
            EmitterCalls.emit(output(0), WindowedValue.of(output, timestamp, windows, pane));
          }

          @Override
          public <T> void outputWindowedValue(
              TupleTag<T> tag,
              T output,
              Instant timestamp,
              Collection<? extends BoundedWindow> windows,
              PaneInfo pane) {
            throw new UnsupportedOperationException("GroupByKey has only a main output");
          }
        };
    return new ReduceFnRunner<>(
        state.key,
        windowingStrategy,
        triggerStateMachine,
        state.state,
        state.timers,
        outputter,
        NullSideInputReader.empty(),
        reduceFn,
        options);
  }

  private void flushPending() throws Exception {
    if (pending.isEmpty()) {
      return;
    }
    for (Map.Entry<KeyedState.Entry<K>, List<WindowedValue<V>>> entry : pending.entrySet()) {
      KeyedState.Entry<K> state = entry.getKey();
      ReduceFnRunner<K, V, OutputT, W> runner = runnerFor(state);
      Iterable<WindowedValue<V>> elements =
          LateDataUtils.dropExpiredWindows(
              state.key, entry.getValue(), state.timers, windowingStrategy, droppedDueToLateness);
      if (firesOnElements) {
        // ReduceFnRunner asks the trigger once per call: a trigger that may fire on an element
        // (after a count, always) sees them one at a time, so each pane holds what it should.
        for (WindowedValue<V> element : elements) {
          runner.processElements(List.of(element));
        }
      } else {
        runner.processElements(elements);
      }
      runner.persist();
      keys.track(state, false);
    }
    pending.clear();
  }

  @Override
  public void startBundle() {
    keys.startBundle();
  }

  @Override
  public void finishBundle() throws Exception {
    flushPending();
    keys.commit();
    keys.outputWatermarkIs(outputWatermark());
  }

  @Override
  public void close() {
    if (keys != null) {
      keys.close();
    }
  }

  /** Everything (buffered values, panes, triggers, holds, timers) is in the keyed state. */
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
    flushPending();
    timers.fire();
  }

  /** Held back by ReduceFnRunner's watermark holds (pending panes) and timers' output times. */
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
    flushPending();
    keys.advanceProcessingTime(new Instant(now));
    timers.fire();
  }

  @Override
  public boolean hasPendingWork() {
    return timers.isPending();
  }

  @Override
  public void continueWork() throws Exception {
    flushPending();
    timers.fire();
  }
}
