package dev.millrace.translation.operators.dofn;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.OperatorContext;
import dev.millrace.state.MemoryBudget;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.EmitterCalls;
import dev.millrace.translation.operators.sideinput.SideInputGate;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.KeyedWorkItem;
import org.apache.beam.runners.core.KeyedWorkItems;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.OutputAndTimeBoundedSplittableProcessElementInvoker;
import org.apache.beam.runners.core.OutputWindowedValue;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A splittable DoFn, bounded or unbounded, through runners-core's {@link
 * SplittableParDoViaKeyedWorkItems.ProcessFn}: each (element, restriction) pair arrives under a key
 * of its own (HASH exchange before this operator), its residual restriction and watermark estimator
 * state live in the keyed state, and a processing-time timer resumes it after the DoFn checkpointed
 * itself or the invoker stopped it ({@value #MAX_OUTPUTS} outputs or {@link #MAX_DURATION}). The
 * residual's output watermark is a hold in state, so the operator's output watermark follows the
 * DoFn's watermark estimator. Port 0 takes the keyed pairs (not yet in keyed work items), port 1+i
 * side input i.
 *
 * <p>Processing-time timers keep firing after the input has ended: an unbounded restriction goes on
 * until the DoFn stops it, or until the job is drained. Draining resumes every residual at once,
 * each first through the DoFn's {@code @TruncateRestriction} (by default: a bounded restriction is
 * kept and processed to its end, an unbounded one dropped), so the operator's holds go and its
 * output watermark reaches the end.
 */
public final class SplittableProcessOperator<InputT, OutputT, RestrictionT>
    extends DoFnRunnerOperator<KeyedWorkItem<byte[], KV<InputT, RestrictionT>>, OutputT> {
  static final int MAX_OUTPUTS = 10_000;
  static final Duration MAX_DURATION = Duration.standardSeconds(10);

  /** The step, shared read-only by all subtasks. */
  public record Spec<InputT, OutputT, RestrictionT>(
      SplittableParDoViaKeyedWorkItems.ProcessElements<InputT, OutputT, RestrictionT, ?, ?>
          transform,
      PipelineOptions options,
      Coder<KeyedWorkItem<byte[], KV<InputT, RestrictionT>>> workItemCoder,
      Coder<WindowedValue<KV<byte[], KV<InputT, RestrictionT>>>> pairCoder,
      Coder<InputT> elementCoder,
      Coder<RestrictionT> restrictionCoder,
      Coder<? extends BoundedWindow> pairWindowCoder,
      Duration pairAllowedLateness,
      WindowingStrategy<?, ?> windowingStrategy,
      List<TupleTag<?>> outputTags,
      Map<TupleTag<?>, Coder<?>> outputCoders,
      StateBackend stateBackend,
      MemoryBudget waitingMemory) {}

  /** Residuals resume by processing-time timers, which must fire even after the input ended. */
  private static final TimerFiring.Rules FIRING_RULES =
      new TimerFiring.Rules(
          TimerFiring.Grouping.ONE,
          TimerFiring.AtEnd.KEEP_PROCESSING_TIMERS,
          TimerFiring.MAX_GROUPS_PER_CALL);

  private final Spec<InputT, OutputT, RestrictionT> spec;

  /** The same objects as the base class's, typed. */
  private KeyedState<byte[]> keys;

  private SideInputGate<KV<byte[], KV<InputT, RestrictionT>>> gate;

  /** Of the same DoFn instance the ProcessFn runs, for trackers and truncation when draining. */
  private DoFnInvoker<InputT, OutputT> fnInvoker;

  private PipelineOptions options;

  public SplittableProcessOperator(
      Spec<InputT, OutputT, RestrictionT> spec, JobMetrics.BundleMetrics metrics) {
    super(1 + spec.transform().getSideInputs().size(), metrics);
    this.spec = spec;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    // The ProcessFn's timers and state are in the namespace of the pair's window.
    keys =
        new KeyedState<>(
            ByteArrayCoder.of(),
            spec.stateBackend().keyedStore(spec.pairWindowCoder()),
            context::currentProcessingTime,
            context::currentSynchronizedProcessingTime);
    keyedState = keys;
    timers =
        new TimerFiring<>(
            keys,
            context,
            FIRING_RULES,
            this::timerWatermark,
            lock,
            due -> fire(due.get(0).entry(), due.get(0).timer()));
    stepContext = new DoFnStepContext(null);

    Map<TupleTag<?>, Emitter> outputs = emittersByTag(spec.outputTags(), context);
    TupleTag<OutputT> mainTag = spec.transform().getMainOutputTag();
    OutputWindowedValue<OutputT> output =
        new OutputWindowedValue<>() {
          @Override
          public void outputWindowedValue(
              OutputT value,
              Instant timestamp,
              Collection<? extends BoundedWindow> windows,
              PaneInfo pane) {
            outputWindowedValue(mainTag, value, timestamp, windows, pane);
          }

          @Override
          public <T> void outputWindowedValue(
              TupleTag<T> tag,
              T value,
              Instant timestamp,
              Collection<? extends BoundedWindow> windows,
              PaneInfo pane) {
            Emitter emitter = outputs.get(tag);
            if (emitter == null) {
              throw new IllegalArgumentException("unknown output tag " + tag);
            }
            EmitterCalls.emit(emitter, WindowedValue.of(value, timestamp, windows, pane));
          }
        };

    List<PCollectionView<?>> views = spec.transform().getSideInputs();
    SideInputReader reader = NullSideInputReader.empty();
    if (!views.isEmpty()) {
      gate =
          new SideInputGate<>(
              views,
              spec.stateBackend(),
              spec.waitingMemory(),
              spec.pairCoder(),
              element -> element.getWindows().iterator().next(),
              spec.pairAllowedLateness(),
              this::pendingWorkHold);
      sideInputs = gate;
      reader = gate.reader();
    }

    // DoFns are not thread-safe: every subtask works on its own deserialized copy.
    DoFn<InputT, OutputT> fn = SerializableUtils.clone(spec.transform().getFn());
    SplittableParDoViaKeyedWorkItems.ProcessFn<InputT, OutputT, RestrictionT, ?, ?> processFn =
        spec.transform().newProcessFn(fn);
    fnInvoker = DoFnInvokers.invokerFor(fn);
    options = spec.options();
    processFn.setStateInternalsFactory(key -> entry(key).state);
    processFn.setTimerInternalsFactory(key -> entry(key).timers);
    processFn.setSideInputReader(reader);
    processFn.setProcessElementInvoker(
        new OutputAndTimeBoundedSplittableProcessElementInvoker(
            fn,
            spec.options(),
            output,
            reader,
            context.scheduler(),
            MAX_OUTPUTS,
            MAX_DURATION,
            () -> stepContext));
    try (Closeable scope = metrics.enter()) {
      invoker = DoFnInvokers.tryInvokeSetupFor(processFn, spec.options());
    }
    List<TupleTag<?>> additional = new ArrayList<>(spec.outputTags());
    additional.remove(mainTag);
    DoFnRunners.OutputManager unused =
        new DoFnRunners.OutputManager() {
          @Override
          public <T> void output(TupleTag<T> tag, WindowedValue<T> value) {
            throw new IllegalStateException("a splittable DoFn's output goes through its invoker");
          }
        };
    runner =
        DoFnRunners.simpleRunner(
            spec.options(),
            processFn,
            reader,
            unused,
            mainTag,
            additional,
            stepContext,
            spec.workItemCoder(),
            spec.outputCoders(),
            spec.windowingStrategy(),
            DoFnSchemaInformation.create(),
            spec.transform().getSideInputMapping());
  }

  private KeyedState.Entry<byte[]> entry(byte[] key) {
    try {
      return keys.entry(key);
    } catch (Exception e) {
      throw new IllegalStateException("cannot encode a splittable DoFn's element key", e);
    }
  }

  private void process(WindowedValue<KV<byte[], KV<InputT, RestrictionT>>> element) {
    ensureRunnerBundle();
    byte[] key = element.getValue().getKey();
    runner.processElement(
        WindowedValue.valueInGlobalWindow(
            KeyedWorkItems.elementsWorkItem(
                key, List.of(element.withValue(element.getValue().getValue())))));
    keys.track(entry(key), false);
  }

  private void fire(KeyedState.Entry<byte[]> entry, TimerData timer) {
    if (context.isDraining()
        && timer.getDomain() != TimeDomain.EVENT_TIME
        && !truncateResidual(entry, timer)) {
      return;
    }
    ensureRunnerBundle();
    runner.processElement(
        WindowedValue.valueInGlobalWindow(
            KeyedWorkItems.<byte[], KV<InputT, RestrictionT>>timersWorkItem(
                entry.key, List.of(timer))));
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    try (Closeable scope = metrics.enter()) {
      if (gate == null) {
        process((WindowedValue<KV<byte[], KV<InputT, RestrictionT>>>) element);
      } else {
        gate.onElement(port, element, this::process);
      }
    }
  }

  @Override
  protected void fireTimers() throws Exception {
    try (Closeable scope = metrics.enter()) {
      timers.fire();
    }
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    if (gate != null) {
      try (Closeable scope = metrics.enter()) {
        gate.onWatermark(port, watermark, this::process);
      }
    }
    fireTimers();
  }

  @Override
  public long nextProcessingTime() {
    long next = keys.nextProcessingTime();
    // Draining: every residual resumes now, whatever its delay.
    return context.isDraining() && next != NO_PROCESSING_TIME ? Long.MIN_VALUE : next;
  }

  @Override
  public void onProcessingTime(long now) throws Exception {
    keys.advanceProcessingTime(context.isDraining() ? END_OF_TIME : new Instant(now));
    fireTimers();
  }

  private static final Instant END_OF_TIME = new Instant(Long.MAX_VALUE);

  /**
   * Replaces the residual restriction that {@code timer} resumes with its truncation; returns false
   * when nothing is left of it, after clearing the residual's state (element, restriction,
   * watermark estimator state and hold, under runners-core's ProcessFn's own state ids).
   */
  @SuppressWarnings("unchecked")
  private boolean truncateResidual(KeyedState.Entry<byte[]> entry, TimerData timer) {
    StateNamespace namespace = timer.getNamespace();
    ValueState<WindowedValue<InputT>> elementState =
        entry.state.state(
            namespace,
            StateTags.value(
                "element",
                WindowedValue.getFullCoder(
                    spec.elementCoder(), (Coder<BoundedWindow>) spec.pairWindowCoder())));
    ValueState<RestrictionT> restrictionState =
        entry.state.state(namespace, StateTags.value("restriction", spec.restrictionCoder()));
    WindowedValue<InputT> element = elementState.read();
    RestrictionT restriction = restrictionState.read();
    if (element == null || restriction == null) {
      return true;
    }
    TruncateArguments arguments = new TruncateArguments(element, restriction);
    arguments.tracker = fnInvoker.invokeNewTracker(arguments);
    RestrictionTracker.TruncateResult<RestrictionT> truncated =
        fnInvoker.invokeTruncateRestriction(arguments);
    if (truncated == null || truncated.getTruncatedRestriction() == null) {
      elementState.clear();
      restrictionState.clear();
      entry
          .state
          .state(namespace, StateTags.value("watermarkEstimatorState", VoidCoder.of()))
          .clear();
      entry
          .state
          .state(
              namespace,
              StateTags.makeSystemTagInternal(
                  StateTags.watermarkStateInternal("hold", TimestampCombiner.LATEST)))
          .clear();
      keys.track(entry, false);
      return false;
    }
    restrictionState.write(truncated.getTruncatedRestriction());
    return true;
  }

  /** What a DoFn's @NewTracker and @TruncateRestriction may ask for. */
  private final class TruncateArguments extends DoFnInvoker.BaseArgumentProvider<InputT, OutputT> {
    private final WindowedValue<InputT> element;
    private final RestrictionT restriction;
    RestrictionTracker<?, ?> tracker;

    TruncateArguments(WindowedValue<InputT> element, RestrictionT restriction) {
      this.element = element;
      this.restriction = restriction;
    }

    @Override
    public InputT element(DoFn<InputT, OutputT> doFn) {
      return element.getValue();
    }

    @Override
    public Object restriction() {
      return restriction;
    }

    @Override
    public RestrictionTracker<?, ?> restrictionTracker() {
      return tracker;
    }

    @Override
    public Instant timestamp(DoFn<InputT, OutputT> doFn) {
      return element.getTimestamp();
    }

    @Override
    public PaneInfo paneInfo(DoFn<InputT, OutputT> doFn) {
      return element.getPane();
    }

    @Override
    public BoundedWindow window() {
      return element.getWindows().iterator().next();
    }

    @Override
    public PipelineOptions pipelineOptions() {
      return options;
    }

    @Override
    public Object sideInput(String tagId) {
      PCollectionView<?> view = spec.transform().getSideInputMapping().get(tagId);
      if (view == null || gate == null) {
        throw new IllegalArgumentException("no side input " + tagId);
      }
      return gate.reader().get(view, view.getWindowMappingFn().getSideInputWindow(window()));
    }

    @Override
    public String getErrorContext() {
      return "SplittableProcessOperator/TruncateRestriction";
    }
  }

  @Override
  public dev.millrace.plan.StateFigures stateFigures() {
    return keys == null ? null : keys.figures();
  }
}
