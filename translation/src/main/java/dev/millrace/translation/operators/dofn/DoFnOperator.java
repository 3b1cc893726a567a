package dev.millrace.translation.operators.dofn;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.OperatorContext;
import dev.millrace.state.MemoryBudget;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.CurrentKeyInternals;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.NamespaceWindows;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.EmitterCalls;
import dev.millrace.translation.operators.sideinput.SideInputGate;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * A user DoFn run through runners-core's {@link DoFnRunners#simpleRunner}, wrapped in its stateful
 * runner when the DoFn has state or timers (its input then arrives keyed by key group, and state
 * and timers are kept per key). Port 0 is the main input; port 1+i carries side input i. Main-input
 * elements whose side-input windows are not ready yet wait at a {@link SideInputGate} and hold the
 * output watermark back until they are.
 *
 * <p>The DoFn's own bundle starts with the first element or timer it gets, so engine bundles that
 * only carry a watermark cost the DoFn nothing.
 */
public final class DoFnOperator<InputT, OutputT> extends DoFnRunnerOperator<InputT, OutputT> {

  /** Everything that describes the step; shared, read-only, by all subtasks. */
  public record Spec<InputT, OutputT>(
      DoFn<InputT, OutputT> fn,
      PipelineOptions options,
      Coder<InputT> inputCoder,
      TupleTag<OutputT> mainOutputTag,
      List<TupleTag<?>> outputTags,
      Map<TupleTag<?>, Coder<?>> outputCoders,
      WindowingStrategy<?, ?> windowingStrategy,
      List<PCollectionView<?>> sideInputs,
      DoFnSchemaInformation schemaInformation,
      Map<String, PCollectionView<?>> sideInputMapping,
      Coder<?> keyCoder,
      StateBackend stateBackend,
      MemoryBudget waitingMemory) {

    /** Stateful DoFns (state or timers) get a key coder; their input is keyed by it. */
    boolean isStateful() {
      return keyCoder != null;
    }
  }

  private static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.ONE,
          TimerFiring.AtEnd.DROP_PROCESSING_TIMERS,
          TimerFiring.MAX_GROUPS_PER_CALL);

  private final Spec<InputT, OutputT> spec;
  private DoFn<InputT, OutputT> fn;

  /** The same objects as the base class's, typed. */
  private SideInputGate<InputT> gate;

  private KeyedState<Object> keys;
  private CurrentKeyInternals<Object> currentKey;

  public DoFnOperator(Spec<InputT, OutputT> spec, JobMetrics.BundleMetrics metrics) {
    super(1 + spec.sideInputs().size(), metrics);
    this.spec = spec;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    // DoFns are not thread-safe: every subtask works on its own deserialized copy.
    fn = SerializableUtils.clone(spec.fn());
    try (Closeable scope = metrics.enter()) {
      invoker = DoFnInvokers.tryInvokeSetupFor(fn, spec.options());
    }
    Map<TupleTag<?>, Emitter> outputs = emittersByTag(spec.outputTags(), context);
    DoFnRunners.OutputManager outputManager =
        new DoFnRunners.OutputManager() {
          @Override
          public <T> void output(TupleTag<T> tag, WindowedValue<T> output) {
            Emitter emitter = outputs.get(tag);
            if (emitter == null) {
              throw new IllegalArgumentException("unknown output tag " + tag);
            }
            EmitterCalls.emit(emitter, output);
          }
        };
    SideInputReader reader;
    if (spec.sideInputs().isEmpty()) {
      reader = NullSideInputReader.empty();
    } else {
      gate =
          new SideInputGate<>(
              spec.sideInputs(),
              spec.stateBackend(),
              spec.waitingMemory(),
              WindowedValue.FullWindowedValueCoder.of(
                  spec.inputCoder(), spec.windowingStrategy().getWindowFn().windowCoder()),
              element -> element.getWindows().iterator().next(),
              spec.windowingStrategy().getAllowedLateness(),
              this::pendingWorkHold);
      sideInputs = gate;
      reader = gate.reader();
    }
    if (spec.isStateful()) {
      @SuppressWarnings("unchecked")
      Coder<Object> keyCoder = (Coder<Object>) spec.keyCoder();
      keys =
          new KeyedState<>(
              keyCoder,
              spec.stateBackend().keyedStore(spec.windowingStrategy().getWindowFn().windowCoder()),
              context::currentProcessingTime,
              context::currentSynchronizedProcessingTime);
      keyedState = keys;
      currentKey = new CurrentKeyInternals<>();
      timers =
          new TimerFiring<>(
              keys, context, FIRING_RULES, this::timerWatermark, lock, due -> fire(due.get(0)));
    }
    stepContext = new DoFnStepContext(currentKey);
    List<TupleTag<?>> additional = new ArrayList<>(spec.outputTags());
    additional.remove(spec.mainOutputTag());
    runner =
        DoFnRunners.simpleRunner(
            spec.options(),
            fn,
            reader,
            outputManager,
            spec.mainOutputTag(),
            additional,
            stepContext,
            spec.inputCoder(),
            spec.outputCoders(),
            spec.windowingStrategy(),
            spec.schemaInformation(),
            spec.sideInputMapping());
    if (spec.isStateful()) {
      runner = statefulRunner(runner);
    }
  }

  /** Late-data dropping, state garbage collection and time-sorted input, from runners-core. */
  @SuppressWarnings("unchecked")
  private DoFnRunner<InputT, OutputT> statefulRunner(DoFnRunner<InputT, OutputT> simple) {
    WindowingStrategy<?, ?> windowing = spec.windowingStrategy();
    Coder<BoundedWindow> windowCoder = (Coder<BoundedWindow>) windowing.getWindowFn().windowCoder();
    DoFnSignature signature = DoFnSignatures.getSignature(fn.getClass());
    boolean timeSorted = signature.processElement().requiresTimeSortedInput();
    WindowStateCleaner cleaner = new WindowStateCleaner(fn, currentKey.state, windowCoder);
    StatefulDoFnRunner<InputT, OutputT, BoundedWindow> stateful =
        new StatefulDoFnRunner<>(
            simple,
            spec.inputCoder(),
            stepContext,
            windowing,
            new GlobalWindowCleanupTimer<>(
                new StatefulDoFnRunner.TimeInternalsCleanupTimer<>(currentKey.timers, windowing),
                timeSorted || signature.onWindowExpiration() != null),
            cleaner,
            timeSorted);
    if (timeSorted) {
      // Only sorting uses them: other DoFns' expiries write no deletes for cells never written.
      cleaner.alsoClear(stateful.getSystemStateTags());
    }
    return stateful;
  }

  /** Runs one element, with the state and timers of its key when the DoFn is stateful. */
  private void process(WindowedValue<InputT> value) throws Exception {
    ensureRunnerBundle();
    if (keys == null) {
      runner.processElement(value);
      return;
    }
    KeyedState.Entry<Object> entry = keys.entry(((KV<?, ?>) value.getValue()).getKey());
    currentKey.set(entry);
    runner.processElement(value);
    keys.track(entry, false);
  }

  private void fire(KeyedState.Due<Object> due) {
    KeyedState.Entry<Object> entry = due.entry();
    TimerData timer = due.timer();
    ensureRunnerBundle();
    currentKey.set(entry);
    runner.onTimer(
        timer.getTimerId(),
        timer.getTimerFamilyId(),
        entry.key,
        NamespaceWindows.windowOf(timer.getNamespace()),
        timer.getTimestamp(),
        timer.getOutputTimestamp(),
        timer.getDomain());
  }

  /** Fires what is due, earliest first, so a timer set while firing fires in order too. */
  @Override
  protected void fireTimers() throws Exception {
    try (Closeable scope = metrics.enter()) {
      timers.fire();
    }
  }

  @Override
  public long nextProcessingTime() {
    return keys == null ? NO_PROCESSING_TIME : keys.nextProcessingTime();
  }

  @Override
  public void onProcessingTime(long now) throws Exception {
    keys.advanceProcessingTime(new Instant(now));
    fireTimers();
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    try (Closeable scope = metrics.enter()) {
      if (gate == null) {
        process((WindowedValue<InputT>) element);
      } else {
        gate.onElement(port, element, this::process);
      }
    }
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    if (gate != null) {
      try (Closeable scope = metrics.enter()) {
        gate.onWatermark(port, watermark, this::process);
      }
    }
    if (keys != null) {
      fireTimers();
    }
  }
}
