package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.control.BundleCheckpointHandler;
import org.apache.beam.runners.fnexecution.control.BundleFinalizationHandler;
import org.apache.beam.runners.fnexecution.control.BundleProgressHandler;
import org.apache.beam.runners.fnexecution.control.FnApiControlClient;
import org.apache.beam.runners.fnexecution.control.InstructionRequestHandler;
import org.apache.beam.runners.fnexecution.control.JobBundleFactory;
import org.apache.beam.runners.fnexecution.control.OutputReceiverFactory;
import org.apache.beam.runners.fnexecution.control.ProcessBundleDescriptors;
import org.apache.beam.runners.fnexecution.control.RemoteBundle;
import org.apache.beam.runners.fnexecution.control.StageBundleFactory;
import org.apache.beam.runners.fnexecution.control.TimerReceiverFactory;
import org.apache.beam.runners.fnexecution.state.StateRequestHandler;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;
import org.apache.beam.sdk.util.construction.graph.ImmutableExecutableStage;
import org.apache.beam.sdk.util.construction.graph.PipelineNode;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

/**
 * The job's harnesses: a harness whose control stream closes mid-job is reported, not waited for.
 */
class JobHarnessesTest {
  private final FnApiControlClient harness =
      FnApiControlClient.forRequestObserver(
          "worker-7", new IgnoredRequests(), new ConcurrentHashMap<>());
  private final List<Throwable> losses = new CopyOnWriteArrayList<>();

  @Test
  void aHarnessThatClosesWhileTheJobRunsIsReportedWithItsWorkerAndEnvironment() throws Exception {
    try (JobHarnesses harnesses = new JobHarnesses(new TakingTurns(harness))) {
      harnesses.forStage(stageIn("beam:env:external:v1"));
      harnesses.onHarnessLost(losses::add);
      harness.asResponseObserver().onCompleted();
      assertThat(losses, hasSize(1));
      assertThat(
          losses.get(0).getMessage(),
          allOf(
              containsString("worker-7"),
              containsString("beam:env:external:v1"),
              containsString("closed its control stream")));
    }
  }

  @Test
  void aLossBeforeTheListenerIsSetIsReportedWhenItIs() throws Exception {
    try (JobHarnesses harnesses = new JobHarnesses(new TakingTurns(harness))) {
      harnesses.forStage(stageIn("beam:env:process:v1"));
      harness.asResponseObserver().onError(new IllegalStateException("connection reset"));
      assertThat(losses, is(empty()));
      harnesses.onHarnessLost(losses::add);
      assertThat(losses, hasSize(1));
    }
  }

  @Test
  void harnessesStoppedWhenTheJobEndsAreNoLoss() throws Exception {
    JobHarnesses harnesses = new JobHarnesses(new TakingTurns(harness));
    harnesses.forStage(stageIn("beam:env:external:v1"));
    harnesses.onHarnessLost(losses::add);
    harnesses.close();
    assertThat(losses, is(empty()));
  }

  /**
   * With two harnesses per environment (--sdk_worker_parallelism=2) both are held and watched, and
   * a subtask lands on the same harness in every stage, whatever order the subtasks ask in.
   */
  @Test
  void subtaskIOfEveryStageRunsOnHarnessIModuloN() throws Exception {
    FnApiControlClient second =
        FnApiControlClient.forRequestObserver(
            "worker-8", new IgnoredRequests(), new ConcurrentHashMap<>());
    TakingTurns factory = new TakingTurns(harness, second);
    try (JobHarnesses harnesses = new JobHarnesses(factory, 2)) {
      ExecutableStage stageA = stageIn("beam:env:process:v1");
      ExecutableStage stageB = stageIn("beam:env:process:v1");
      assertThat(harnesses.forSubtask(stageA, 0).getInstructionRequestHandler(), is(harness));
      assertThat(harnesses.forSubtask(stageB, 1).getInstructionRequestHandler(), is(second));
      assertThat(harnesses.forSubtask(stageB, 0).getInstructionRequestHandler(), is(harness));
      assertThat(harnesses.forSubtask(stageA, 3).getInstructionRequestHandler(), is(second));
      assertThat(harnesses.forSubtask(stageA, 1).getInstructionRequestHandler(), is(second));
      harnesses.onHarnessLost(losses::add);
      second.asResponseObserver().onCompleted();
      assertThat(losses, hasSize(1));
      assertThat(losses.get(0).getMessage(), containsString("worker-8"));
    }
    assertThat(
        "factories of unwanted turns are closed at once",
        factory.closed,
        is(factory.handedOut - 5));
  }

  @Test
  void harnessesPerEnvironmentFollowSdkWorkerParallelism() {
    assertThat(JobHarnesses.harnessesPerEnvironment(PipelineOptionsFactory.create()), is(1));
    assertThat(
        JobHarnesses.harnessesPerEnvironment(
            PipelineOptionsFactory.fromArgs("--sdkWorkerParallelism=3").create()),
        is(3));
    assertThat(
        JobHarnesses.harnessesPerEnvironment(
            PipelineOptionsFactory.fromArgs("--sdkWorkerParallelism=0").create()),
        is(Math.max(Runtime.getRuntime().availableProcessors() - 1, 1)));
  }

  private static ExecutableStage stageIn(String environmentUrn) {
    return ImmutableExecutableStage.of(
        RunnerApi.Components.getDefaultInstance(),
        RunnerApi.Environment.newBuilder().setUrn(environmentUrn).build(),
        PipelineNode.pCollection("input", RunnerApi.PCollection.getDefaultInstance()),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of());
  }

  /**
   * A bundle factory that hands its harnesses to stages in turn, as Beam's does with
   * --sdk_worker_parallelism, and counts the stage factories closed.
   */
  private static final class TakingTurns implements JobBundleFactory {
    private final FnApiControlClient[] harnesses;
    int handedOut;
    int closed;

    TakingTurns(FnApiControlClient... harnesses) {
      this.harnesses = harnesses;
    }

    @Override
    public StageBundleFactory forStage(ExecutableStage stage) {
      FnApiControlClient harness = harnesses[handedOut++ % harnesses.length];
      return new StageBundleFactory() {
        @Override
        public RemoteBundle getBundle(
            OutputReceiverFactory outputs,
            TimerReceiverFactory timers,
            StateRequestHandler state,
            BundleProgressHandler progress,
            BundleFinalizationHandler finalization,
            BundleCheckpointHandler checkpoints) {
          throw new UnsupportedOperationException("no bundles in this test");
        }

        @Override
        public ProcessBundleDescriptors.ExecutableProcessBundleDescriptor
            getProcessBundleDescriptor() {
          throw new UnsupportedOperationException("no descriptors in this test");
        }

        @Override
        public InstructionRequestHandler getInstructionRequestHandler() {
          return harness;
        }

        @Override
        public void close() {
          closed++;
        }
      };
    }

    /** The job's end stops every harness. */
    @Override
    public void close() {
      for (FnApiControlClient harness : harnesses) {
        harness.close();
      }
    }
  }

  private static final class IgnoredRequests
      implements StreamObserver<BeamFnApi.InstructionRequest> {
    @Override
    public void onNext(BeamFnApi.InstructionRequest request) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
