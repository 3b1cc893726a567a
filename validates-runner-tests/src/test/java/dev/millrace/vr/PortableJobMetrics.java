package dev.millrace.vr;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.model.jobmanagement.v1.JobApi;
import org.apache.beam.model.jobmanagement.v1.JobServiceGrpc;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannel;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannelBuilder;

/**
 * A finished job's user metrics as the job server reports them, attempted and committed kept apart.
 * Beam's Java client (2.62) turns each reported metric into a result without committed values
 * (apache/beam#32001), so tests of committed metrics could never pass through it.
 */
final class PortableJobMetrics {
  private PortableJobMetrics() {}

  /** The metrics of the job named {@code jobName} on the job server at {@code endpoint}. */
  static MetricResults of(String endpoint, String jobName) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().build();
    try {
      JobServiceGrpc.JobServiceBlockingStub jobs =
          JobServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      String jobId = null;
      for (JobApi.JobInfo job :
          jobs.getJobs(JobApi.GetJobsRequest.getDefaultInstance()).getJobInfoList()) {
        if (job.getJobName().equals(jobName)) {
          jobId = job.getJobId();
        }
      }
      if (jobId == null) {
        throw new IllegalStateException("the job server has no job named " + jobName);
      }
      JobApi.MetricResults metrics =
          jobs.getJobMetrics(JobApi.GetJobMetricsRequest.newBuilder().setJobId(jobId).build())
              .getMetrics();
      return MetricsContainerStepMap.asMetricResults(
          stepMap(metrics.getAttemptedList()), stepMap(metrics.getCommittedList()));
    } finally {
      channel.shutdownNow();
    }
  }

  private static MetricsContainerStepMap stepMap(List<MonitoringInfo> infos) {
    MetricsContainerStepMap steps = new MetricsContainerStepMap();
    for (MonitoringInfo info : infos) {
      String step = info.getLabelsMap().get(MonitoringInfoConstants.Labels.PTRANSFORM);
      if (step != null) {
        steps.getContainer(step).update(List.of(info));
      }
    }
    return steps;
  }
}
