package dev.millrace.translation.operators;

import dev.millrace.plan.OperatorContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.LateDataUtils;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.OutputWindowedValue;
import org.apache.beam.runners.core.ReduceFnRunner;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.runners.core.metrics.CounterCell;
import org.apache.beam.runners.core.triggers.ExecutableTriggerStateMachine;
import org.apache.beam.runners.core.triggers.TriggerStateMachines;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.state.TimeDomain;
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
 * {@link ReduceFnRunner}. State and timers live in memory per key of this subtask's key groups;
 * elements of a bundle are handed to the runner once per key at the bundle's end.
 */
public final class GroupByKeyOperator<K, V, W extends BoundedWindow> extends AbstractOperator {
  private final KvCoder<K, V> inputCoder;
  private final WindowingStrategy<?, W> windowingStrategy;
  private final PipelineOptions options;
  private final Map<EncodedKey, KeyState> keys = new HashMap<>();
  private final Map<KeyState, List<WindowedValue<V>>> pending = new LinkedHashMap<>();
  private final Set<KeyState> withEventTimers = new HashSet<>();
  private final Set<KeyState> withProcessingTimers = new HashSet<>();
  private final CounterCell droppedDueToLateness =
      new CounterCell(MetricName.named(GroupByKeyOperator.class, "droppedDueToLateness"));
  private ExecutableTriggerStateMachine triggerStateMachine;
  private Instant inputWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant processingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;

  private final class KeyState {
    final EncodedKey id;
    final K key;
    final InMemoryStateInternals<K> state;
    final InMemoryTimerInternals timers = new InMemoryTimerInternals();

    KeyState(EncodedKey id, K key) throws Exception {
      this.id = id;
      this.key = key;
      this.state = InMemoryStateInternals.forKey(key);
      timers.advanceInputWatermark(inputWatermark);
      timers.advanceOutputWatermark(inputWatermark);
      timers.advanceProcessingTime(processingTime);
    }
  }

  @SuppressWarnings("unchecked")
  public GroupByKeyOperator(
      KvCoder<K, V> inputCoder, WindowingStrategy<?, ?> windowingStrategy, PipelineOptions options) {
    super(1);
    this.inputCoder = inputCoder;
    this.windowingStrategy = (WindowingStrategy<?, W>) windowingStrategy;
    this.options = options;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    triggerStateMachine =
        ExecutableTriggerStateMachine.create(
            TriggerStateMachines.stateMachineForTrigger(
                TriggerTranslation.toProto(windowingStrategy.getTrigger())));
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, V>> value = (WindowedValue<KV<K, V>>) element;
    K key = value.getValue().getKey();
    EncodedKey encoded = EncodedKey.of(inputCoder.getKeyCoder(), key);
    KeyState state = keys.get(encoded);
    if (state == null) {
      state = new KeyState(encoded, key);
      keys.put(encoded, state);
    }
    pending
        .computeIfAbsent(state, k -> new ArrayList<>())
        .add(value.withValue(value.getValue().getValue()));
  }

  private ReduceFnRunner<K, V, Iterable<V>, W> runnerFor(KeyState state) {
    OutputWindowedValue<KV<K, Iterable<V>>> outputter =
        new OutputWindowedValue<>() {
          @Override
          public void outputWindowedValue(
              KV<K, Iterable<V>> output,
              Instant timestamp,
              Collection<? extends BoundedWindow> windows,
              PaneInfo pane) {
            EmitterCalls.emit(output(0), WindowedValue.of(output, timestamp, windows, pane));
          }

          @Override
          public <T> void outputWindowedValue(
              TupleTag<T> tag, T output, Instant timestamp, Collection<? extends BoundedWindow> windows, PaneInfo pane) {
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
        SystemReduceFn.buffering(inputCoder.getValueCoder()),
        options);
  }

  private void flushPending() throws Exception {
    if (pending.isEmpty()) {
      return;
    }
    for (Map.Entry<KeyState, List<WindowedValue<V>>> entry : pending.entrySet()) {
      KeyState state = entry.getKey();
      ReduceFnRunner<K, V, Iterable<V>, W> runner = runnerFor(state);
      runner.processElements(
          LateDataUtils.dropExpiredWindows(
              state.key, entry.getValue(), state.timers, windowingStrategy, droppedDueToLateness));
      runner.persist();
      track(state);
    }
    pending.clear();
  }

  /** Remembers which keys have timers; forgets keys that have none (their windows are gone). */
  private void track(KeyState state) {
    boolean event = state.timers.getNextTimer(TimeDomain.EVENT_TIME) != null;
    boolean processing =
        state.timers.getNextTimer(TimeDomain.PROCESSING_TIME) != null
            || state.timers.getNextTimer(TimeDomain.SYNCHRONIZED_PROCESSING_TIME) != null;
    if (event) {
      withEventTimers.add(state);
    } else {
      withEventTimers.remove(state);
    }
    if (processing) {
      withProcessingTimers.add(state);
    } else {
      withProcessingTimers.remove(state);
    }
    if (!event && !processing && !pending.containsKey(state)) {
      keys.remove(state.id);
    }
  }

  @Override
  public void finishBundle() throws Exception {
    flushPending();
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    flushPending();
    inputWatermark = BeamTime.toInstant(watermark);
    for (KeyState state : new ArrayList<>(withEventTimers)) {
      state.timers.advanceInputWatermark(inputWatermark);
      state.timers.advanceOutputWatermark(inputWatermark);
      fire(state, TimeDomain.EVENT_TIME);
    }
  }

  @Override
  public boolean wantsProcessingTime() {
    return !withProcessingTimers.isEmpty();
  }

  @Override
  public void onProcessingTime(long now) throws Exception {
    flushPending();
    processingTime = new Instant(now);
    for (KeyState state : new ArrayList<>(withProcessingTimers)) {
      state.timers.advanceProcessingTime(processingTime);
      state.timers.advanceSynchronizedProcessingTime(processingTime);
      fire(state, TimeDomain.PROCESSING_TIME);
    }
  }

  private void fire(KeyState state, TimeDomain domain) throws Exception {
    ReduceFnRunner<K, V, Iterable<V>, W> runner = runnerFor(state);
    while (true) {
      List<TimerData> due = new ArrayList<>();
      TimerData timer;
      if (domain == TimeDomain.EVENT_TIME) {
        while ((timer = state.timers.removeNextEventTimer()) != null) {
          due.add(timer);
        }
      } else {
        while ((timer = state.timers.removeNextProcessingTimer()) != null) {
          due.add(timer);
        }
        while ((timer = state.timers.removeNextSynchronizedProcessingTimer()) != null) {
          due.add(timer);
        }
      }
      if (due.isEmpty()) {
        break;
      }
      runner.onTimers(due);
    }
    runner.persist();
    track(state);
  }
}
