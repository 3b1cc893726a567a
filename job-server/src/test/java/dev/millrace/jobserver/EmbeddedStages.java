package dev.millrace.jobserver;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.Vertex;
import dev.millrace.runner.JobLauncher;
import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.portable.PortablePipelineTranslator;
import java.util.function.Function;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.control.DefaultJobBundleFactory;
import org.apache.beam.runners.fnexecution.provisioning.JobInfo;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.construction.PipelineOptionsTranslation;

/**
 * The keyed stage of a portable pipeline, translated as the job server does, its user code in the
 * embedded Java SDK harness: for tests that drive the stage alone through the operator contract.
 */
final class EmbeddedStages {
  /** A test of one stage, while its harness runs. */
  interface StageTest {
    void run(OperatorNode stage) throws Exception;
  }

  private EmbeddedStages() {}

  /**
   * Translates the streaming pipeline {@code pipeline} makes from the options and runs {@code test}
   * with its keyed stage ({@link #keyedStage}); the harness stops after the test.
   */
  static void withKeyedStage(
      String jobName, Function<PipelineOptions, RunnerApi.Pipeline> pipeline, StageTest test)
      throws Exception {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs("--defaultEnvironmentType=EMBEDDED", "--streaming")
            .create();
    JobInfo jobInfo =
        JobInfo.create(jobName, jobName, "", PipelineOptionsTranslation.toProto(options));
    try (JobHarnesses harnesses =
        new JobHarnesses(
            DefaultJobBundleFactory.create(
                jobInfo, SdkEnvironments.providers(options, ServerFactory.createDefault())),
            1)) {
      TranslatedJob job =
          new PortablePipelineTranslator(
                  JobLauncher.of(options.as(MillracePipelineOptions.class)).translationOptions())
              .translate(pipeline.apply(options), harnesses);
      test.run(keyedStage(job.plan()));
    }
  }

  /** The operator of the vertex that a HASH edge feeds and that sends on to another HASH edge. */
  static OperatorNode keyedStage(Plan plan) {
    for (Vertex vertex : plan.vertices()) {
      boolean keyedInput =
          plan.edges().stream()
              .anyMatch(e -> e.kind() == EdgeKind.HASH && e.to().vertex() == vertex.id());
      boolean keyedOutput =
          plan.edges().stream()
              .anyMatch(e -> e.kind() == EdgeKind.HASH && e.from().vertex() == vertex.id());
      if (keyedInput && keyedOutput) {
        return vertex.operators().get(0);
      }
    }
    throw new AssertionError("no keyed stage in\n" + plan.explain());
  }
}
