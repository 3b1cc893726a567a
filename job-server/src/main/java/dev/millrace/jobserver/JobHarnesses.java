package dev.millrace.jobserver;

import dev.millrace.translation.operators.Closer;
import dev.millrace.translation.operators.stage.SubtaskHarnesses;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.control.FnApiControlClient;
import org.apache.beam.runners.fnexecution.control.InstructionRequestHandler;
import org.apache.beam.runners.fnexecution.control.JobBundleFactory;
import org.apache.beam.runners.fnexecution.control.StageBundleFactory;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PortablePipelineOptions;
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;

/**
 * The SDK harnesses of one job, kept from the first stage that needs an environment until the job
 * ends: one per environment, or {@code --sdk_worker_parallelism} of them. Beam's {@code
 * DefaultJobBundleFactory} shuts an environment down as soon as no stage holds it, and starts a new
 * one for the next stage; but its data service keeps sending every bundle's input to the harness
 * that connected first, so a stage of the second harness would wait forever for input that went to
 * the first. Stages of one job open and close at different times (a vertex whose input ended closes
 * while another has yet to open), so without this a job would now and then hang. Holding a stage
 * factory on each harness for the job's lifetime keeps the harnesses.
 *
 * <p>With {@code --sdk_worker_parallelism=N} Beam's factory gives an environment N harnesses, each
 * with its own servers, and hands them to stages in turn, one per {@code forStage} call. This class
 * keeps a stage on each, and places subtask {@code i} of every stage on harness {@code i mod N}:
 * subtasks that run side by side get different harness processes (a Python harness runs on one
 * core). It is the only caller of the factory, so it knows whose turn is next; a turn that is not
 * wanted is taken by a stage factory closed at once.
 *
 * <p>An embedded Java harness is also made to answer a first, empty request before any stage sends
 * it work. Its control client (Beam 2.62's {@code BeamFnControlClient}) starts its stream before it
 * has stored the observer it answers on, and the in-process channel hands it requests already sent
 * while it is still being built; the answer to such a request is lost, and the bundle that sent it
 * waits forever. The first empty request may be lost that way too, so it is repeated until one is
 * answered.
 *
 * <p>A harness whose control stream closes while the job runs (its process died, or the LOOPBACK
 * client that hosted it went away) is reported to {@link #onHarnessLost}. Without that, a harness
 * lost before its data stream connected would leave the next bundle waiting three minutes for it
 * (Beam's {@code GrpcDataService}) before the job failed.
 */
final class JobHarnesses implements SubtaskHarnesses {
  private final JobBundleFactory bundles;
  private final int harnessesPerEnvironment;

  /** Calls of {@code bundles.forStage}: the harness the next one gets is this modulo N. */
  private long turns;

  private final Set<RunnerApi.Environment> environments = new HashSet<>();
  private final List<StageBundleFactory> kept = new ArrayList<>();
  private final AtomicReference<Throwable> lost = new AtomicReference<>();
  private volatile Consumer<Throwable> lossListener;
  private volatile boolean closing;

  JobHarnesses(JobBundleFactory bundles) {
    this(bundles, 1);
  }

  /**
   * @param harnessesPerEnvironment what {@link #harnessesPerEnvironment(PipelineOptions)} says
   */
  JobHarnesses(JobBundleFactory bundles, int harnessesPerEnvironment) {
    this.bundles = bundles;
    this.harnessesPerEnvironment = harnessesPerEnvironment;
  }

  /**
   * The number of harnesses Beam's {@code DefaultJobBundleFactory} gives each environment of a job
   * with these options: {@code --sdk_worker_parallelism}, where 0 means one less than the cores.
   */
  static int harnessesPerEnvironment(PipelineOptions options) {
    Integer asked = options.as(PortablePipelineOptions.class).getSdkWorkerParallelism();
    int n = asked == null ? 1 : asked;
    return n == 0 ? Math.max(Runtime.getRuntime().availableProcessors() - 1, 1) : Math.max(n, 1);
  }

  @Override
  public synchronized StageBundleFactory forStage(ExecutableStage stage) {
    keepHarnesses(stage);
    return nextTurn(stage);
  }

  @Override
  public synchronized StageBundleFactory forSubtask(ExecutableStage stage, int subtask) {
    keepHarnesses(stage);
    while (turns % harnessesPerEnvironment != subtask % harnessesPerEnvironment) {
      try {
        nextTurn(stage).close();
      } catch (Exception e) {
        throw new IllegalStateException(
            "could not release a stage factory of " + stage.getEnvironment().getUrn(), e);
      }
    }
    return nextTurn(stage);
  }

  private StageBundleFactory nextTurn(ExecutableStage stage) {
    turns++;
    return bundles.forStage(stage);
  }

  /** On an environment's first stage: starts its harnesses and holds each for the job. */
  private void keepHarnesses(ExecutableStage stage) {
    if (!environments.add(stage.getEnvironment())) {
      return;
    }
    for (int i = 0; i < harnessesPerEnvironment; i++) {
      StageBundleFactory held = nextTurn(stage);
      kept.add(held);
      watch(stage.getEnvironment(), held.getInstructionRequestHandler());
      if (SdkEnvironments.EMBEDDED.equals(stage.getEnvironment().getUrn())) {
        awaitReady(held.getInstructionRequestHandler());
      }
    }
  }

  /**
   * Where the loss of one of the job's harnesses goes while the job runs; a loss seen before the
   * listener was set is reported to it at once. Not called under this object's lock: a stage may be
   * holding it for minutes while its environment starts.
   */
  void onHarnessLost(Consumer<Throwable> listener) {
    lossListener = listener;
    reportLoss();
  }

  private void watch(RunnerApi.Environment environment, InstructionRequestHandler harness) {
    // Every environment factory of Beam 2.62 and of this server hands out the control client its
    // harness connected with. A harness that went between connecting and this line is not seen
    // here; its job still fails, once Beam's data service gives up waiting.
    if (harness instanceof FnApiControlClient control) {
      control.onClose(closed -> harnessClosed(environment, closed.getWorkerId()));
    }
  }

  private void harnessClosed(RunnerApi.Environment environment, String workerId) {
    if (closing) {
      return;
    }
    lost.compareAndSet(
        null,
        new IllegalStateException(
            "the SDK harness "
                + workerId
                + " of environment "
                + environment.getUrn()
                + " closed its control stream while the job was running: it exited, or the client that ran it went away"));
    reportLoss();
  }

  private void reportLoss() {
    Consumer<Throwable> listener = lossListener;
    Throwable loss = lost.get();
    if (listener != null && loss != null) {
      listener.accept(loss);
    }
  }

  private static final long READY_ATTEMPT_MILLIS = 500;
  private static final int READY_ATTEMPTS = 120;
  private static final AtomicLong READY_REQUESTS = new AtomicLong();

  private static void awaitReady(InstructionRequestHandler harness) {
    for (int attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
      BeamFnApi.InstructionRequest request =
          BeamFnApi.InstructionRequest.newBuilder()
              .setInstructionId("millrace-ready-" + READY_REQUESTS.incrementAndGet())
              .setHarnessMonitoringInfos(
                  BeamFnApi.HarnessMonitoringInfosRequest.getDefaultInstance())
              .build();
      try {
        harness
            .handle(request)
            .toCompletableFuture()
            .get(READY_ATTEMPT_MILLIS, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException lost) {
        // Asked again: the harness was still setting up its control stream.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "interrupted while waiting for the embedded SDK harness", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("the embedded SDK harness failed to start", e.getCause());
      }
    }
    throw new IllegalStateException(
        "the embedded SDK harness did not answer within "
            + READY_ATTEMPTS * READY_ATTEMPT_MILLIS / 1000
            + " s");
  }

  /** Releases the kept harnesses, then everything else of the job's bundle factory. */
  @Override
  public synchronized void close() throws Exception {
    closing = true;
    List<AutoCloseable> closing = new ArrayList<>(kept);
    closing.add(bundles);
    kept.clear();
    Closer.closeAll(closing.toArray(new AutoCloseable[0]));
  }
}
