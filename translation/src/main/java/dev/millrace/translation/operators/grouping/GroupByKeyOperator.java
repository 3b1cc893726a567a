package dev.millrace.translation.operators.grouping;

import dev.millrace.plan.OperatorContext;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.operators.EmitterCalls;
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
    extends KeyedGroupingOperator<K> {

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

  /**
   * Each run of consecutive due timers of one key goes to ReduceFnRunner in one call (at the end of
   * bounded input that is every window of the key at once).
   */
  private static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.KEY_RUN,
          TimerFiring.AtEnd.DROP_PROCESSING_TIMERS,
          TimerFiring.MAX_GROUPS_PER_CALL);

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
    super(
        inputCoder.getKeyCoder(),
        windowingStrategy.getWindowFn().windowCoder(),
        FIRING_RULES,
        stateBackend);
    this.inputCoder = inputCoder;
    this.reduceFnFactory = reduceFnFactory;
    this.windowingStrategy = (WindowingStrategy<?, W>) windowingStrategy;
    this.firesOnElements = ElementTriggers.mayFireOnElement(windowingStrategy.getTrigger());
    this.options = options;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    reduceFn = reduceFnFactory.create();
    triggerStateMachine =
        ExecutableTriggerStateMachine.create(
            TriggerStateMachines.stateMachineForTrigger(
                TriggerTranslation.toProto(windowingStrategy.getTrigger())));
  }

  @Override
  protected void fire(List<KeyedState.Due<K>> due) throws Exception {
    ReduceFnRunner<K, V, OutputT, W> runner = runnerFor(due.get(0).entry());
    List<TimerInternals.TimerData> timers = new ArrayList<>(due.size());
    for (KeyedState.Due<K> timer : due) {
      timers.add(timer.timer());
    }
    runner.onTimers(timers);
    runner.persist();
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

  @Override
  protected void flushPending() throws Exception {
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
}
