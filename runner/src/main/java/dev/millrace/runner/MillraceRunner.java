package dev.millrace.runner;

import dev.millrace.runner.monitor.ConsoleProgress;
import dev.millrace.runner.monitor.MonitoredJobs;
import dev.millrace.runner.web.WebUi;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.java.PipelineTranslator;
import java.io.IOException;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsValidator;

/** Runs a Beam Java pipeline on the Millrace engine, in this JVM, on all cores. */
public class MillraceRunner extends PipelineRunner<MillracePipelineResult> {

  private final MillracePipelineOptions options;

  protected MillraceRunner(MillracePipelineOptions options) {
    this.options = options;
  }

  public static MillraceRunner fromOptions(PipelineOptions options) {
    return new MillraceRunner(
        PipelineOptionsValidator.validate(MillracePipelineOptions.class, options));
  }

  @Override
  public MillracePipelineResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    List<String> external = CrossLanguagePipelines.externalTransforms(pipeline);
    if (!external.isEmpty()) {
      return CrossLanguagePipelines.start(pipeline, external, options);
    }
    JobLauncher launcher = JobLauncher.of(options);
    TranslatedJob job = new PipelineTranslator(launcher.translationOptions()).translate(pipeline);
    startWebUi(options);
    MillracePipelineResult result = launcher.start(job);
    if (options.isConsoleProgress()) {
      MonitoredJobs.ofThisJvm().get(result.id()).ifPresent(ConsoleProgress::follow);
    }
    return result;
  }

  /**
   * The web UI, when {@code --webUiPort} asks for one: before the job starts, so a port that cannot
   * be had fails the pipeline before anything ran.
   */
  static void startWebUi(MillracePipelineOptions options) {
    if (options.getWebUiPort() != null) {
      try {
        WebUi.startOnce(options.getWebUiHost(), options.getWebUiPort(), options.getWebUiToken());
      } catch (IOException e) {
        throw new IllegalStateException(
            "--webUiPort="
                + options.getWebUiPort()
                + ": the web UI could not start on "
                + options.getWebUiHost()
                + " ("
                + e.getMessage()
                + "); nothing was started",
            e);
      }
    }
  }
}
