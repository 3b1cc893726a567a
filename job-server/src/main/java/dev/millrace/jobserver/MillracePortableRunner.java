package dev.millrace.jobserver;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.metrics.TypeScriptMetrics;
import java.util.List;
import org.apache.beam.model.jobmanagement.v1.JobApi;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.provisioning.JobInfo;
import org.apache.beam.runners.jobsubmission.PortablePipelineResult;
import org.apache.beam.runners.jobsubmission.PortablePipelineRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.options.PipelineOptions;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one submitted pipeline: checks its environments, translates it, runs it on the engine and
 * waits for the end (Beam's {@code JobInvocation} reports a job's end when this returns). The job's
 * SDK harnesses are released when it ends, however it ends; an interrupt (the job was cancelled)
 * cancels the engine's job.
 */
final class MillracePortableRunner implements PortablePipelineRunner {
  private static final Logger LOG = LoggerFactory.getLogger(MillracePortableRunner.class);

  /** How long a job's end waits for its harnesses to close before it reaches the client. */
  private static final java.time.Duration CLOSE_LIMIT = java.time.Duration.ofSeconds(30);

  private final PipelineOptions options;
  private final List<String> allowedProcessCommands;
  private final BoundServerFactory harnessServers;

  MillracePortableRunner(
      PipelineOptions options,
      List<String> allowedProcessCommands,
      BoundServerFactory harnessServers) {
    this.options = options;
    this.allowedProcessCommands = allowedProcessCommands;
    this.harnessServers = harnessServers;
  }

  @Override
  public PortablePipelineResult run(RunnerApi.Pipeline pipeline, JobInfo jobInfo) throws Exception {
    PortableJobStart started =
        PortableJobStart.start(
            pipeline,
            jobInfo,
            options.as(MillracePipelineOptions.class),
            allowedProcessCommands,
            harnessServers);
    JobHarnesses bundles = started.harnesses();
    Throwable failed = null;
    try {
      TranslatedJob job = started.job();
      MillracePipelineResult result = started.result();
      LOG.info(
          "Job {} running ({} job, keyed state in {}{})",
          jobInfo.jobId(),
          job.streaming() ? "streaming" : "batch",
          job.stateBackend(),
          job.usesTestStream() ? ", on TestStream's manual clock" : "");
      PipelineResult.State state;
      try {
        state = result.waitUntilFinish();
      } catch (RuntimeException failure) {
        LOG.info(
            "Job {} failed: {}",
            jobInfo.jobId(),
            String.valueOf(failure.getCause() != null ? failure.getCause() : failure));
        throw failure;
      }
      if (state == null) {
        // Interrupted: Beam's JobInvocation cancels a job by interrupting this thread.
        boolean interrupted = Thread.interrupted();
        result.cancel();
        state = PipelineResult.State.CANCELLED;
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      LOG.info("Job {} ended {}", jobInfo.jobId(), state);
      return new EndedJob(state, job);
    } catch (Throwable t) {
      failed = t;
      throw t;
    } finally {
      try {
        BoundedClose.close(bundles, "the SDK harnesses of job " + jobInfo.jobId(), CLOSE_LIMIT);
      } catch (Exception e) {
        if (failed == null) {
          throw e;
        }
        failed.addSuppressed(e);
      }
    }
  }

  /** A job that has ended, with its final metrics. */
  private record EndedJob(State state, TranslatedJob job) implements PortablePipelineResult {
    /**
     * User metrics, attempted and committed: a failed bundle fails the job, so both hold the same
     * values once it has ended. (Beam's Java client lists both as results of their own,
     * apache/beam#32001; the TypeScript client reads the committed ones, its distributions in its
     * own encoding.)
     */
    @Override
    public JobApi.MetricResults portableMetrics() {
      JobApi.MetricResults.Builder results = JobApi.MetricResults.newBuilder();
      job.metrics()
          .attemptedMonitoringInfos()
          .forEach(info -> results.addAttempted(TypeScriptMetrics.toTypeScript(info)));
      job.metrics()
          .committedMonitoringInfos()
          .forEach(info -> results.addCommitted(TypeScriptMetrics.toTypeScript(info)));
      return results.build();
    }

    @Override
    public State getState() {
      return state;
    }

    @Override
    public State cancel() {
      return state;
    }

    @Override
    public State waitUntilFinish(Duration duration) {
      return state;
    }

    @Override
    public State waitUntilFinish() {
      return state;
    }

    @Override
    public MetricResults metrics() {
      return job.metrics().results();
    }
  }
}
