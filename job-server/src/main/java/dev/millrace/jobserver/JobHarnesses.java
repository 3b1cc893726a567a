package dev.millrace.jobserver;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.pipeline.v1.RunnerApi;
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
 */
final class JobHarnesses implements JobBundleFactory {
  private final JobBundleFactory bundles;
  private final Set<RunnerApi.Environment> environments = new HashSet<>();
  private final List<StageBundleFactory> kept = new ArrayList<>();

  JobHarnesses(JobBundleFactory bundles) {
    this.bundles = bundles;
  }

  @Override
  public synchronized StageBundleFactory forStage(ExecutableStage stage) {
    if (environments.add(stage.getEnvironment())) {
      StageBundleFactory first = bundles.forStage(stage);
      kept.add(first);
      if (SdkEnvironments.EMBEDDED.equals(stage.getEnvironment().getUrn())) {
        awaitReady(first.getInstructionRequestHandler());
      }
    }
    return bundles.forStage(stage);
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
