package dev.millrace.jobserver;

import dev.millrace.runner.JobLauncher;
import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.UnsupportedFeaturesException;
import dev.millrace.translation.portable.PortablePipelineTranslator;
import java.util.List;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.control.DefaultJobBundleFactory;
import org.apache.beam.runners.fnexecution.provisioning.JobInfo;
import org.apache.beam.sdk.fn.server.ServerFactory;

/**
 * A portable pipeline started on the engine, with the SDK harnesses its stages run in: what a
 * submitted job ({@link MillracePortableRunner}) and a Java pipeline with cross-language transforms
 * ({@link InProcessHarnessExecution}) share. Whoever started it closes {@link #harnesses} once the
 * job has ended.
 */
record PortableJobStart(TranslatedJob job, MillracePipelineResult result, JobHarnesses harnesses) {

  /**
   * Checks {@code pipeline}'s environments, translates it and starts it; a harness lost while the
   * job runs fails the job. Nothing is left open if it cannot start.
   */
  static PortableJobStart start(
      RunnerApi.Pipeline pipeline,
      JobInfo jobInfo,
      MillracePipelineOptions options,
      List<String> allowedProcessCommands,
      ServerFactory harnessServers)
      throws Exception {
    List<String> environmentProblems = SdkEnvironments.problems(pipeline, allowedProcessCommands);
    if (!environmentProblems.isEmpty()) {
      throw new UnsupportedFeaturesException(environmentProblems);
    }
    JobHarnesses harnesses =
        new JobHarnesses(
            DefaultJobBundleFactory.create(
                jobInfo, SdkEnvironments.providers(options, harnessServers)),
            JobHarnesses.harnessesPerEnvironment(options));
    try {
      JobLauncher launcher = JobLauncher.of(options);
      TranslatedJob job =
          new PortablePipelineTranslator(launcher.translationOptions())
              .translate(pipeline, harnesses);
      // Checkpoints by default on the same terms as a Java job: streaming, without TestStream.
      MillracePipelineResult result = launcher.start(job, SdkEnvironments.origin(pipeline));
      harnesses.onHarnessLost(result::fail);
      return new PortableJobStart(job, result, harnesses);
    } catch (Exception | Error e) {
      try {
        harnesses.close();
      } catch (Exception closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }
}
