package dev.millrace.translation.operators.dofn;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.OutputWatermark;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.translation.operators.sideinput.SideInputGate;
import java.io.Closeable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * What the operators that run user code through a runners-core {@link DoFnRunner} share ({@link
 * DoFnOperator}, {@link SplittableProcessOperator}): the runner's bundle started lazily (so engine
 * bundles that only carry a watermark cost the DoFn nothing), the commit at the end of a bundle
 * (runner, keyed state, metrics, then bundle finalizers), and the release of everything at close.
 * Subclasses set the fields in {@link #open}; {@link #keyedState} and {@link #sideInputs} stay null
 * when the step has no state or no side inputs.
 */
abstract class DoFnRunnerOperator<RunnerInputT, OutputT> extends AbstractOperator {
  protected final JobMetrics.BundleMetrics metrics;
  protected DoFnRunner<RunnerInputT, OutputT> runner;
  /** Whose teardown runs at close. */
  protected DoFnInvoker<?, ?> invoker;
  protected DoFnStepContext stepContext;
  protected KeyedState<?> keyedState;
  protected SideInputGate<?> sideInputs;
  private boolean runnerInBundle;

  protected DoFnRunnerOperator(int inputs, JobMetrics.BundleMetrics metrics) {
    super(inputs);
    this.metrics = metrics;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    metrics.bind(context.subtaskIndex());
  }

  /** Each output tag's emitter: output port i carries tag i. */
  protected static Map<TupleTag<?>, Emitter> emittersByTag(List<TupleTag<?>> tags, OperatorContext context) {
    Map<TupleTag<?>, Emitter> outputs = new HashMap<>();
    for (int i = 0; i < tags.size(); i++) {
      outputs.put(tags.get(i), context.output(i));
    }
    return outputs;
  }

  protected final void ensureRunnerBundle() {
    if (!runnerInBundle) {
      runnerInBundle = true;
      runner.startBundle();
    }
  }

  /** What the step's pending timers (and residuals) will still emit at the earliest; END if none. */
  protected final long stateHold() {
    return keyedState == null ? Watermarks.END : keyedState.holdBack(Watermarks.END);
  }

  /** The earliest main-input element waiting for side inputs; END if none. */
  protected final long sideInputHold() {
    return sideInputs == null ? Watermarks.END : sideInputs.hold();
  }

  /**
   * Elements waiting for side inputs hold event time back for timers too: firing a window's
   * garbage-collection timer before they are processed would drop them as late.
   */
  protected final long timerWatermark() {
    return Math.min(inputWatermark(0), sideInputHold());
  }

  /** Port 0 is the main input; the others are side inputs, which hold back the main input instead. */
  @Override
  public boolean boundsOutput(int port) {
    return port == 0;
  }

  /** The main input's watermark held back by input waiting for side inputs and by keyed state. */
  @Override
  public long outputWatermark() {
    long input = inputWatermark(0);
    long sideInputWait = sideInputHold();
    // holdBack(w) is min(w, holds), found without a full scan when the holds are known to be above w.
    long stateAndTimers =
        keyedState == null ? OutputWatermark.NO_HOLD : keyedState.holdBack(Math.min(input, sideInputWait));
    return OutputWatermark.of(input, sideInputWait, stateAndTimers, OutputWatermark.NO_HOLD, OutputWatermark.NO_HOLD);
  }

  /** Tells keyed state the output watermark the engine reads now (see {@link OutputWatermark}). */
  private void tellKeyedStateTheOutputWatermark() {
    if (keyedState != null) {
      keyedState.outputWatermarkIs(outputWatermark());
    }
  }

  @Override
  public void processWatermark(int port, long watermark) throws Exception {
    super.processWatermark(port, watermark);
    tellKeyedStateTheOutputWatermark();
  }

  @Override
  public void startBundle() {
    if (keyedState != null) {
      keyedState.startBundle();
    }
  }

  @Override
  public void finishBundle() throws Exception {
    if (runnerInBundle) {
      runnerInBundle = false;
      try (Closeable scope = metrics.enter()) {
        runner.finishBundle();
      }
    }
    if (keyedState != null) {
      keyedState.commit();
    }
    tellKeyedStateTheOutputWatermark();
    metrics.commit();
    try (Closeable scope = metrics.enter()) {
      stepContext.bundleCommitted(new Instant(context.currentProcessingTime()), context.isCheckpointing());
    }
  }

  /** Keyed state (timers, SDF residuals included) and side inputs are all it keeps. */
  @Override
  public boolean isCheckpointable() {
    return true;
  }

  @Override
  public boolean awaitsCheckpoint() {
    return stepContext != null && stepContext.hasCallbacksAwaitingCheckpoint();
  }

  @Override
  protected final void snapshotOperator(SnapshotWriter out) throws Exception {
    if (keyedState != null) {
      keyedState.snapshot(out, "keyed-state");
    }
    if (sideInputs != null) {
      sideInputs.snapshot(out);
    }
    metrics.committed().snapshot(out.data());
    stepContext.snapshotTaken(out.checkpointId());
  }

  @Override
  protected final void restoreOperator(SnapshotReader in) throws Exception {
    if (keyedState != null) {
      keyedState.restore(in, "keyed-state");
    }
    if (sideInputs != null) {
      sideInputs.restore(in);
    }
    metrics.committed().restore(in.data());
    restored();
  }

  /** After a restore: timers may be due already. */
  protected void restored() {}

  @Override
  public void checkpointComplete(long checkpointId) throws Exception {
    try (Closeable scope = metrics.enter()) {
      stepContext.checkpointComplete(checkpointId, new Instant(context.currentProcessingTime()));
    }
  }

  @Override
  public void close() throws Exception {
    if (stepContext != null) {
      stepContext.bundleAborted();
    }
    metrics.abort();
    try {
      if (invoker != null) {
        try (Closeable scope = metrics.enter()) {
          invoker.invokeTeardown();
        }
      }
    } finally {
      if (keyedState != null) {
        keyedState.close();
      }
      if (sideInputs != null) {
        sideInputs.close();
      }
    }
  }
}
