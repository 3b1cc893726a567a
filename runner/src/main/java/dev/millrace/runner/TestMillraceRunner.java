package dev.millrace.runner;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.joda.time.Duration;

/**
 * The runner Beam's {@code TestPipeline} uses: runs the pipeline to its end and fails with the
 * pipeline's error. A pipeline still running after {@code --testTimeoutSeconds} is cancelled and
 * fails, so one hanging test cannot stall a suite.
 */
public class TestMillraceRunner extends PipelineRunner<PipelineResult> {
  private final MillraceRunner delegate;
  private final long timeoutSeconds;

  private TestMillraceRunner(MillracePipelineOptions options) {
    this.delegate = MillraceRunner.fromOptions(options);
    this.timeoutSeconds = options.getTestTimeoutSeconds();
  }

  public static TestMillraceRunner fromOptions(PipelineOptions options) {
    return new TestMillraceRunner(options.as(MillracePipelineOptions.class));
  }

  @Override
  public PipelineResult run(Pipeline pipeline) {
    MillracePipelineResult result = delegate.run(pipeline);
    PipelineResult.State state = result.waitUntilFinish(Duration.standardSeconds(timeoutSeconds));
    if (state == null) {
      result.cancel();
      throw new IllegalStateException(
          "pipeline did not finish within " + timeoutSeconds + " s (--testTimeoutSeconds); cancelled it");
    }
    return result;
  }
}
