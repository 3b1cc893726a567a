package dev.millrace.translation.operators;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.JobMetrics;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * A user DoFn run through runners-core's {@link DoFnRunners#simpleRunner}. Port 0 is the main
 * input; port 1+i carries side input i. Main-input elements whose side-input windows are not ready
 * yet wait here and hold the output watermark back until they are.
 */
public final class DoFnOperator<InputT, OutputT> extends AbstractOperator {

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
      Map<String, PCollectionView<?>> sideInputMapping) {}

  private final Spec<InputT, OutputT> spec;
  private final JobMetrics.BundleMetrics metrics;
  private DoFn<InputT, OutputT> fn;
  private DoFnInvoker<InputT, OutputT> invoker;
  private DoFnRunner<InputT, OutputT> runner;
  private SideInputStore sideInputs;
  private final StatelessStepContext stepContext = new StatelessStepContext();
  private final List<WindowedValue<InputT>> pushedBack = new ArrayList<>();
  private long pushedBackHold = Watermarks.END;

  public DoFnOperator(Spec<InputT, OutputT> spec, JobMetrics.BundleMetrics metrics) {
    super(1 + spec.sideInputs().size());
    this.spec = spec;
    this.metrics = metrics;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    // DoFns are not thread-safe: every subtask works on its own deserialized copy.
    fn = SerializableUtils.clone(spec.fn());
    try (Closeable scope = metrics.enter()) {
      invoker = DoFnInvokers.tryInvokeSetupFor(fn, spec.options());
    }
    Map<TupleTag<?>, Emitter> outputs = new HashMap<>();
    for (int i = 0; i < spec.outputTags().size(); i++) {
      outputs.put(spec.outputTags().get(i), context.output(i));
    }
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
      sideInputs = new SideInputStore(spec.sideInputs());
      reader = sideInputs;
    }
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
  }

  @Override
  public void startBundle() throws Exception {
    try (Closeable scope = metrics.enter()) {
      runner.startBundle();
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    if (port == 0) {
      WindowedValue<InputT> value = (WindowedValue<InputT>) element;
      try (Closeable scope = metrics.enter()) {
        if (sideInputs == null) {
          runner.processElement(value);
        } else {
          processWhenReady(value);
        }
      }
    } else {
      sideInputs.add(sideInputs.view(port - 1), (WindowedValue<?>) element);
    }
  }

  private void processWhenReady(WindowedValue<InputT> value) {
    for (WindowedValue<InputT> single : value.explodeWindows()) {
      if (ready(single.getWindows().iterator().next())) {
        runner.processElement(single);
      } else {
        pushedBack.add(single);
        pushedBackHold = Math.min(pushedBackHold, single.getTimestamp().getMillis());
      }
    }
  }

  private boolean ready(BoundedWindow mainWindow) {
    for (PCollectionView<?> view : spec.sideInputs()) {
      BoundedWindow sideWindow = view.getWindowMappingFn().getSideInputWindow(mainWindow);
      if (!sideInputs.isReady(view, sideWindow)) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    if (port > 0) {
      sideInputs.advanceWatermark(sideInputs.view(port - 1), watermark);
      if (!pushedBack.isEmpty()) {
        List<WindowedValue<InputT>> retry = new ArrayList<>(pushedBack);
        pushedBack.clear();
        pushedBackHold = Watermarks.END;
        try (Closeable scope = metrics.enter()) {
          for (WindowedValue<InputT> value : retry) {
            processWhenReady(value);
          }
        }
      }
    }
  }

  @Override
  public long outputWatermark() {
    return Math.min(inputWatermark(0), pushedBackHold);
  }

  @Override
  public void finishBundle() throws Exception {
    try (Closeable scope = metrics.enter()) {
      runner.finishBundle();
    }
    metrics.commit();
    try (Closeable scope = metrics.enter()) {
      stepContext.bundleCommitted(new org.joda.time.Instant(context.currentProcessingTime()));
    }
  }

  @Override
  public void close() throws Exception {
    stepContext.bundleAborted();
    metrics.abort();
    if (invoker != null) {
      try (Closeable scope = metrics.enter()) {
        invoker.invokeTeardown();
      }
    }
  }
}
