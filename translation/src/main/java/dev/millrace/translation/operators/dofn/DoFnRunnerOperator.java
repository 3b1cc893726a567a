package dev.millrace.translation.operators.dofn;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.usercode.UserCodeOperator;
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
 * Keyed state, timers, side inputs and the output watermark are {@link UserCodeOperator}'s, shared
 * with the portable stage.
 */
abstract class DoFnRunnerOperator<RunnerInputT, OutputT> extends UserCodeOperator {
  protected final JobMetrics.BundleMetrics metrics;
  protected DoFnRunner<RunnerInputT, OutputT> runner;

  /** Whose teardown runs at close. */
  protected DoFnInvoker<?, ?> invoker;

  protected DoFnStepContext stepContext;
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
  protected static Map<TupleTag<?>, Emitter> emittersByTag(
      List<TupleTag<?>> tags, OperatorContext context) {
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

  @Override
  protected final void finishUserBundle() throws Exception {
    if (runnerInBundle) {
      runnerInBundle = false;
      try (Closeable scope = metrics.enter()) {
        runner.finishBundle();
      }
    }
  }

  @Override
  protected final void bundleCommitted() throws Exception {
    metrics.commit();
    try (Closeable scope = metrics.enter()) {
      stepContext.bundleCommitted(
          new Instant(context.currentProcessingTime()), context.isCheckpointing());
    }
  }

  @Override
  public boolean awaitsCheckpoint() {
    return stepContext != null && stepContext.hasCallbacksAwaitingCheckpoint();
  }

  @Override
  protected final void snapshotTail(SnapshotWriter out) throws Exception {
    metrics.committed().snapshot(out.data());
    stepContext.snapshotTaken(out.checkpointId());
  }

  @Override
  protected final void restoreTail(SnapshotReader in) throws Exception {
    metrics.committed().restore(in.data());
  }

  @Override
  public void checkpointComplete(long checkpointId) throws Exception {
    try (Closeable scope = metrics.enter()) {
      stepContext.checkpointComplete(checkpointId, new Instant(context.currentProcessingTime()));
    }
  }

  @Override
  protected final void closeUserCode() throws Exception {
    if (stepContext != null) {
      stepContext.bundleAborted();
    }
    metrics.abort();
    if (invoker != null) {
      try (Closeable scope = metrics.enter()) {
        invoker.invokeTeardown();
      }
    }
  }
}
