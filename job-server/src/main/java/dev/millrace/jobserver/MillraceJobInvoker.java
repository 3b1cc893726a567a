package dev.millrace.jobserver;

import java.util.List;
import java.util.UUID;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.provisioning.JobInfo;
import org.apache.beam.runners.jobsubmission.JobInvocation;
import org.apache.beam.runners.jobsubmission.JobInvoker;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.construction.PipelineOptionsTranslation;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.Struct;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ListeningExecutorService;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Makes a job of each submitted pipeline, run by a {@link MillracePortableRunner}. */
final class MillraceJobInvoker extends JobInvoker {
  private final List<String> allowedProcessCommands;
  private final ImageCommands imageCommands;
  private final BoundServerFactory harnessServers;

  MillraceJobInvoker(
      List<String> allowedProcessCommands,
      ImageCommands imageCommands,
      BoundServerFactory harnessServers) {
    super("millrace-job-%d");
    this.allowedProcessCommands = allowedProcessCommands;
    this.imageCommands = imageCommands;
    this.harnessServers = harnessServers;
  }

  @Override
  protected JobInvocation invokeWithExecutor(
      RunnerApi.Pipeline pipeline,
      Struct options,
      @Nullable String retrievalToken,
      ListeningExecutorService executorService) {
    PipelineOptions pipelineOptions = PipelineOptionsTranslation.fromProto(options);
    String jobId = pipelineOptions.getJobName() + "_" + UUID.randomUUID();
    JobInfo jobInfo = JobInfo.create(jobId, pipelineOptions.getJobName(), retrievalToken, options);
    return new ClientSafeJobInvocation(
        jobInfo,
        executorService,
        imageCommands.apply(pipeline),
        new MillracePortableRunner(pipelineOptions, allowedProcessCommands, harnessServers));
  }
}
