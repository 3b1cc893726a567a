package dev.millrace.jobserver;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.MillraceRunner;
import dev.millrace.runner.SdkHarnessExecution;
import java.util.List;
import java.util.UUID;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.provisioning.JobInfo;
import org.apache.beam.sdk.util.construction.PipelineOptionsTranslation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MillraceRunner}'s way to run a Java pipeline with cross-language transforms: the portable
 * translation a job server gives a submitted pipeline, without the job service. The services its
 * PROCESS and EXTERNAL harnesses connect to bind the loopback interface, as a job server's do by
 * default; no PROCESS command is allowed (a Java program that needs one submits to a job server
 * started to allow it). The job's harnesses stop when it ends.
 */
public final class InProcessHarnessExecution implements SdkHarnessExecution {
  private static final Logger LOG = LoggerFactory.getLogger(InProcessHarnessExecution.class);

  @Override
  public MillracePipelineResult start(
      RunnerApi.Pipeline pipeline, MillracePipelineOptions options) {
    String jobId = options.getJobName() + "_" + UUID.randomUUID();
    JobInfo jobInfo =
        JobInfo.create(
            jobId, options.getJobName(), "", PipelineOptionsTranslation.toProto(options));
    PortableJobStart started;
    try {
      started =
          PortableJobStart.start(
              pipeline, jobInfo, options, List.of(), new BoundServerFactory("localhost"));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("could not translate the pipeline for its SDK harnesses", e);
    }
    MillracePipelineResult result = started.result();
    Thread closer =
        new Thread(
            () -> closeWhenEnded(result, started.harnesses(), jobId),
            "millrace-harnesses-" + jobId);
    closer.setDaemon(true);
    closer.start();
    return result;
  }

  private static void closeWhenEnded(
      MillracePipelineResult result, JobHarnesses harnesses, String jobId) {
    try {
      result.waitUntilFinish();
    } catch (RuntimeException failed) {
      // The job's failure is its owner's to report; here it only means the job has ended.
    } finally {
      closeQuietly(harnesses, jobId);
    }
  }

  private static void closeQuietly(JobHarnesses harnesses, String jobId) {
    try {
      harnesses.close();
    } catch (Exception e) {
      LOG.warn("The SDK harnesses of job {} did not stop cleanly", jobId, e);
    }
  }
}
