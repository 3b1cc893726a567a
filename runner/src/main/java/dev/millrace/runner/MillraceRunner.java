package dev.millrace.runner;

import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.java.PipelineTranslator;
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
    return launcher.start(job);
  }
}
