package dev.millrace.jobserver;

import dev.millrace.engine.testing.Await;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.model.jobmanagement.v1.JobApi;
import org.apache.beam.model.jobmanagement.v1.JobServiceGrpc;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.portability.PortableRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.construction.PipelineOptionsTranslation;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.sdk.util.construction.SdkComponents;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannel;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannelBuilder;

/**
 * Talks to a job server the way an SDK does, over the job API alone: so tests can submit pipelines
 * that no SDK would build (unknown transforms, missing coders, forbidden environments) and see what
 * the server makes of them.
 */
final class JobServiceClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final JobServiceGrpc.JobServiceBlockingStub jobs;

  JobServiceClient(String endpoint) {
    channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().build();
    jobs = JobServiceGrpc.newBlockingStub(channel);
  }

  /** Options of a Java pipeline whose user code runs in the harness embedded in the server. */
  static PipelineOptions embeddedOptions() {
    // The runner is never asked to run: these options only turn pipelines into protos.
    return PipelineOptionsFactory.fromArgs(
            "--runner=" + PortableRunner.class.getName(),
            "--jobEndpoint=localhost:0",
            "--defaultEnvironmentType=EMBEDDED",
            "--parallelism=2")
        .create();
  }

  /** {@code pipeline} as an SDK would submit it, its user code in the embedded harness. */
  static RunnerApi.Pipeline proto(Pipeline pipeline) {
    return PipelineTranslation.toProto(pipeline, SdkComponents.create(pipeline.getOptions()));
  }

  /** {@code pipeline} with every environment it defines replaced by {@code environment}. */
  static RunnerApi.Pipeline withEnvironment(
      RunnerApi.Pipeline pipeline, RunnerApi.Environment environment) {
    RunnerApi.Pipeline.Builder builder = pipeline.toBuilder();
    for (String id : pipeline.getComponents().getEnvironmentsMap().keySet()) {
      builder.getComponentsBuilder().putEnvironments(id, environment);
    }
    return builder.build();
  }

  /** Prepares and runs {@code pipeline}; returns the job's id. */
  String submit(RunnerApi.Pipeline pipeline, PipelineOptions options, String jobName) {
    JobApi.PrepareJobResponse prepared =
        stub()
            .prepare(
                JobApi.PrepareJobRequest.newBuilder()
                    .setPipeline(pipeline)
                    .setPipelineOptions(PipelineOptionsTranslation.toProto(options))
                    .setJobName(jobName)
                    .build());
    return stub()
        .run(
            JobApi.RunJobRequest.newBuilder().setPreparationId(prepared.getPreparationId()).build())
        .getJobId();
  }

  /** Waits for the job to reach a terminal state (at most {@code seconds}); returns it. */
  JobApi.JobState.Enum awaitEnd(String jobId, long seconds) throws InterruptedException {
    Await.until(
        () -> isTerminal(state(jobId)), Duration.ofSeconds(seconds), "job " + jobId + " ended");
    return state(jobId);
  }

  /**
   * Waits for a job named {@code jobName} to be RUNNING (at most {@code seconds}); returns its id.
   */
  String awaitRunning(String jobName, long seconds) throws InterruptedException {
    AtomicReference<String> jobId = new AtomicReference<>();
    Await.until(
        () -> {
          if (jobId.get() == null) {
            jobId.set(jobIdNamed(jobName));
          }
          return jobId.get() != null && state(jobId.get()) == JobApi.JobState.Enum.RUNNING;
        },
        Duration.ofSeconds(seconds),
        "a job named " + jobName + " runs");
    return jobId.get();
  }

  /** Waits for job {@code jobId} to be RUNNING (at most {@code seconds}). */
  void awaitRunningId(String jobId, long seconds) throws InterruptedException {
    Await.until(
        () -> state(jobId) == JobApi.JobState.Enum.RUNNING,
        Duration.ofSeconds(seconds),
        "job " + jobId + " runs");
  }

  /** The id of the job named {@code jobName}, or null while the server has none. */
  String jobIdNamed(String jobName) {
    for (JobApi.JobInfo job :
        stub().getJobs(JobApi.GetJobsRequest.getDefaultInstance()).getJobInfoList()) {
      if (job.getJobName().equals(jobName)) {
        return job.getJobId();
      }
    }
    return null;
  }

  JobApi.JobState.Enum state(String jobId) {
    return stub()
        .getState(JobApi.GetJobStateRequest.newBuilder().setJobId(jobId).build())
        .getState();
  }

  void cancel(String jobId) {
    stub().cancel(JobApi.CancelJobRequest.newBuilder().setJobId(jobId).build());
  }

  /** Everything the server said about a job on its message stream, as one text. */
  String messages(String jobId) {
    StringBuilder text = new StringBuilder();
    Iterator<JobApi.JobMessagesResponse> messages =
        stub().getMessageStream(JobApi.JobMessagesRequest.newBuilder().setJobId(jobId).build());
    while (messages.hasNext()) {
      JobApi.JobMessagesResponse message = messages.next();
      if (message.hasMessageResponse()) {
        text.append(message.getMessageResponse().getMessageText()).append('\n');
      }
    }
    return text.toString();
  }

  static boolean isTerminal(JobApi.JobState.Enum state) {
    return switch (state) {
      case DONE, FAILED, CANCELLED, DRAINED, UPDATED -> true;
      default -> false;
    };
  }

  private JobServiceGrpc.JobServiceBlockingStub stub() {
    return jobs.withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
