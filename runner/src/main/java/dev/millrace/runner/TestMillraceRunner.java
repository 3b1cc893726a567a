package dev.millrace.runner;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.TestPipelineOptions;
import org.joda.time.Duration;

/**
 * The runner Beam's {@code TestPipeline} uses: runs the pipeline to its end and fails with the
 * pipeline's error. A pipeline still running after {@code --testTimeoutSeconds} (Beam's {@link
 * TestPipelineOptions}; {@value #DEFAULT_TIMEOUT_SECONDS} s when unset) is cancelled and fails, so
 * one hanging test cannot stall a suite.
 */
public class TestMillraceRunner extends PipelineRunner<PipelineResult> {
  static final long DEFAULT_TIMEOUT_SECONDS = 300;

  private final MillraceRunner delegate;
  private final long timeoutSeconds;

  private TestMillraceRunner(PipelineOptions options) {
    // A suite runs hundreds of pipelines: a progress line each would bury its output.
    options.as(MillracePipelineOptions.class).setConsoleProgress(false);
    this.delegate = MillraceRunner.fromOptions(options);
    Long timeout = options.as(TestPipelineOptions.class).getTestTimeoutSeconds();
    this.timeoutSeconds = timeout == null ? DEFAULT_TIMEOUT_SECONDS : timeout;
  }

  public static TestMillraceRunner fromOptions(PipelineOptions options) {
    return new TestMillraceRunner(options);
  }

  @Override
  public PipelineResult run(Pipeline pipeline) {
    MillracePipelineResult result = delegate.run(pipeline);
    long started = System.nanoTime();
    PipelineResult.State state = result.waitUntilFinish(Duration.standardSeconds(timeoutSeconds));
    if (state == null) {
      // Null also when this thread was interrupted: say which, the two need different searches.
      boolean interrupted = Thread.interrupted();
      PipelineResult.State seen = result.getState();
      result.cancel();
      long waited =
          java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      throw new IllegalStateException(
          interrupted
              ? "the test's thread was interrupted after "
                  + waited
                  + " s while the pipeline ran; cancelled it"
              : waited < timeoutSeconds
                  ? "waiting for the pipeline ended after "
                      + waited
                      + " s with the job in state "
                      + seen
                      + "; cancelled it"
                  : "pipeline did not finish within "
                      + timeoutSeconds
                      + " s (--testTimeoutSeconds); cancelled it");
    }
    return result;
  }
}
