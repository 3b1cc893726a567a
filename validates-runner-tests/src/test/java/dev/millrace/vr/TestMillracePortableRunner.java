package dev.millrace.vr;

import dev.millrace.engine.testing.Await;
import dev.millrace.jobserver.MillraceJobServerDriver;
import java.io.IOException;
import org.apache.beam.runners.portability.PortableRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PortablePipelineOptions;
import org.apache.beam.sdk.testing.TestPipelineOptions;

/**
 * Runs a Java pipeline through the Millrace job server, as Beam's {@code TestPipeline} expects of a
 * test runner: to its end, failing with the job's error. Unlike Beam's {@code TestPortableRunner}
 * it keeps one job server for the whole JVM (jobs run side by side on it, as they would for users)
 * and cancels a job still running after {@code --testTimeoutSeconds}, so one hanging test fails
 * alone.
 *
 * <p>The job's error reaches the client only as text (the job API carries messages, not
 * exceptions); an {@link AssertionError} of {@code PAssert} is raised again as one, so tests that
 * expect a failed assertion see it.
 */
public class TestMillracePortableRunner extends PipelineRunner<PipelineResult> {
  static final long DEFAULT_TIMEOUT_SECONDS = 300;
  private static final String EMBEDDED = "EMBEDDED";
  private static final String ASSERTION_ERROR = AssertionError.class.getName() + ": ";

  private static MillraceJobServerDriver server;
  private static String endpoint;

  private final PipelineOptions options;
  private final long timeoutSeconds;

  private TestMillracePortableRunner(PipelineOptions options) {
    this.options = options;
    Long timeout = options.as(TestPipelineOptions.class).getTestTimeoutSeconds();
    this.timeoutSeconds = timeout == null ? DEFAULT_TIMEOUT_SECONDS : timeout;
  }

  public static TestMillracePortableRunner fromOptions(PipelineOptions options) {
    return new TestMillracePortableRunner(options);
  }

  /** The JVM's job server, started on first use on free loopback ports and stopped at exit. */
  static synchronized String endpoint() throws IOException {
    if (server == null) {
      MillraceJobServerDriver started = MillraceJobServerDriver.onFreeLoopbackPorts();
      endpoint = started.start();
      server = started;
      Runtime.getRuntime()
          .addShutdownHook(new Thread(started::stop, "millrace-test-job-server-stop"));
    }
    return endpoint;
  }

  @Override
  public PipelineResult run(Pipeline pipeline) {
    PortablePipelineOptions portable = options.as(PortablePipelineOptions.class);
    try {
      portable.setJobEndpoint(endpoint());
    } catch (IOException e) {
      throw new IllegalStateException("could not start the Millrace job server", e);
    }
    portable.setRunner(PortableRunner.class);
    if (portable.getFilesToStage() == null
        && EMBEDDED.equals(portable.getDefaultEnvironmentType())) {
      // The embedded harness runs on this JVM's class path: staging it would copy every jar per
      // job.
      portable.setFilesToStage(java.util.List.of());
    }
    PipelineResult result = PortableRunner.fromOptions(portable).run(pipeline);
    PipelineResult.State state;
    try {
      state = awaitEnd(result);
    } catch (RuntimeException failure) {
      throw asTestFailure(failure);
    }
    if (state == null) {
      dumpThreads();
      try {
        result.cancel();
      } catch (IOException e) {
        // The job is being given up on either way; the timeout below is the failure to report.
      }
      throw new IllegalStateException(
          "pipeline did not finish within "
              + timeoutSeconds
              + " s (--testTimeoutSeconds); cancelled it");
    }
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("pipeline ended " + state);
    }
    return new EndedJob(
        result, PortableJobMetrics.of(portable.getJobEndpoint(), portable.getJobName()));
  }

  /** A job that ended DONE, with its metrics as the job server reported them. */
  private record EndedJob(PipelineResult result, org.apache.beam.sdk.metrics.MetricResults metrics)
      implements PipelineResult {
    @Override
    public State getState() {
      return result.getState();
    }

    @Override
    public State cancel() throws IOException {
      return result.cancel();
    }

    @Override
    public State waitUntilFinish(org.joda.time.Duration duration) {
      return result.waitUntilFinish(duration);
    }

    @Override
    public State waitUntilFinish() {
      return result.waitUntilFinish();
    }
  }

  /**
   * Waits for the job's end by asking its state often: Beam's client polls every 3 s, which would
   * add seconds to every test. Returns null when the timeout passed first.
   */
  private PipelineResult.State awaitEnd(PipelineResult result) {
    try {
      if (!Await.holdsWithin(
          () -> result.getState().isTerminal(), java.time.Duration.ofSeconds(timeoutSeconds))) {
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the job", e);
    }
    // Ended: this returns at once, with the job's error raised if it failed, and reads its metrics.
    return result.waitUntilFinish();
  }

  /**
   * What every thread was doing when a pipeline timed out: the evidence for whoever looks at the
   * hang.
   */
  private void dumpThreads() {
    StringBuilder dump =
        new StringBuilder("Threads when the pipeline timed out after " + timeoutSeconds + " s:\n");
    for (java.util.Map.Entry<Thread, StackTraceElement[]> thread :
        Thread.getAllStackTraces().entrySet()) {
      dump.append('"')
          .append(thread.getKey().getName())
          .append("\" ")
          .append(thread.getKey().getState())
          .append('\n');
      for (StackTraceElement frame : thread.getValue()) {
        dump.append("    at ").append(frame).append('\n');
      }
    }
    System.err.println(dump);
  }

  private static RuntimeException asTestFailure(RuntimeException failure) {
    String message = failure.getMessage() == null ? "" : failure.getMessage();
    int assertion = message.indexOf(ASSERTION_ERROR);
    if (assertion >= 0) {
      AssertionError error =
          new AssertionError(message.substring(assertion + ASSERTION_ERROR.length()));
      error.addSuppressed(failure);
      throw error;
    }
    return new Pipeline.PipelineExecutionException(failure);
  }
}
