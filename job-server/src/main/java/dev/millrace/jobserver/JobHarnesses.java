package dev.millrace.jobserver;

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
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;

/**
 * The SDK harnesses of one job, one per environment, kept from the first stage that needs one
 * until the job ends. Beam's {@code DefaultJobBundleFactory} shuts an environment down as soon as
 * no stage holds it, and starts a new one for the next stage; but its data service keeps sending
 * every bundle's input to the harness that connected first, so a stage of the second harness
 * would wait forever for input that went to the first. Stages of one job open and close at
 * different times (a vertex whose input ended closes while another has yet to open), so without
 * this a job would now and then hang. Holding one stage factory per environment for the job's
 * lifetime keeps one harness per environment.
 *
 * <p>An embedded Java harness is also made to answer a first, empty request before any stage
 * sends it work. Its control client (Beam 2.62's {@code BeamFnControlClient}) starts its stream
 * before it has stored the observer it answers on, and the in-process channel hands it requests
 * already sent while it is still being built; the answer to such a request is lost, and the
 * bundle that sent it waits forever. The first empty request may be lost that way too, so it is
 * repeated until one is answered.
 *
 * <p>A harness whose control stream closes while the job runs (its process died, or the LOOPBACK
 * client that hosted it went away) is reported to {@link #onHarnessLost}. Without that, a harness
 * lost before its data stream connected would leave the next bundle waiting three minutes for it
 * (Beam's {@code GrpcDataService}) before the job failed.
 */
final class JobHarnesses implements JobBundleFactory {
  private final JobBundleFactory bundles;
  private final Set<RunnerApi.Environment> environments = new HashSet<>();
  private final List<StageBundleFactory> kept = new ArrayList<>();
  private final AtomicReference<Throwable> lost = new AtomicReference<>();
  private volatile Consumer<Throwable> lossListener;
  private volatile boolean closing;

  JobHarnesses(JobBundleFactory bundles) {
    this.bundles = bundles;
  }

  @Override
  public synchronized StageBundleFactory forStage(ExecutableStage stage) {
    if (environments.add(stage.getEnvironment())) {
      StageBundleFactory first = bundles.forStage(stage);
      kept.add(first);
      watch(stage.getEnvironment(), first.getInstructionRequestHandler());
      if (SdkEnvironments.EMBEDDED.equals(stage.getEnvironment().getUrn())) {
        awaitReady(first.getInstructionRequestHandler());
      }
    }
    return bundles.forStage(stage);
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
            "the SDK harness " + workerId + " of environment " + environment.getUrn()
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
              .setHarnessMonitoringInfos(BeamFnApi.HarnessMonitoringInfosRequest.getDefaultInstance())
              .build();
      try {
        harness.handle(request).toCompletableFuture().get(READY_ATTEMPT_MILLIS, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException lost) {
        // Asked again: the harness was still setting up its control stream.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the embedded SDK harness", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("the embedded SDK harness failed to start", e.getCause());
      }
    }
    throw new IllegalStateException(
        "the embedded SDK harness did not answer within " + READY_ATTEMPTS * READY_ATTEMPT_MILLIS / 1000 + " s");
  }

  /** Releases the kept harnesses, then everything else of the job's bundle factory. */
  @Override
  public synchronized void close() throws Exception {
    closing = true;
    List<AutoCloseable> closing = new ArrayList<>(kept);
    closing.add(bundles);
    kept.clear();
    Exception failure = null;
    for (AutoCloseable c : closing) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
