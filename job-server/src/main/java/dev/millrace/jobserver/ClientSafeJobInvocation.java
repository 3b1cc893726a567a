package dev.millrace.jobserver;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.beam.model.jobmanagement.v1.JobApi.JobMessage;
import org.apache.beam.model.jobmanagement.v1.JobApi.JobStateEvent;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.provisioning.JobInfo;
import org.apache.beam.runners.jobsubmission.JobInvocation;
import org.apache.beam.runners.jobsubmission.PortablePipelineRunner;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ListeningExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job whose state and message streams survive their clients. Beam's {@code JobInvocation} tells
 * every watcher of a job in one loop and lets an exception out of it: a client that was killed
 * while it watched (its gRPC call cancelled) throws, which stops the loop, and on a failed job it
 * is thrown before the job is marked FAILED, so the job stayed RUNNING forever for every other
 * client. Here each watcher is called on its own; one that throws is dropped.
 */
final class ClientSafeJobInvocation extends JobInvocation {
  private static final Logger LOG = LoggerFactory.getLogger(ClientSafeJobInvocation.class);

  ClientSafeJobInvocation(
      JobInfo jobInfo,
      ListeningExecutorService executorService,
      RunnerApi.Pipeline pipeline,
      PortablePipelineRunner pipelineRunner) {
    super(jobInfo, executorService, pipeline, pipelineRunner);
  }

  @Override
  public synchronized void addStateListener(Consumer<JobStateEvent> listener) {
    super.addStateListener(dropOnFailure(listener, "state"));
  }

  @Override
  public synchronized void addMessageListener(Consumer<JobMessage> listener) {
    super.addMessageListener(dropOnFailure(listener, "message"));
  }

  private <T> Consumer<T> dropOnFailure(Consumer<T> listener, String stream) {
    AtomicBoolean gone = new AtomicBoolean();
    return event -> {
      if (gone.get()) {
        return;
      }
      try {
        listener.accept(event);
      } catch (RuntimeException e) {
        gone.set(true);
        LOG.info(
            "A {} stream of job {} went away ({}); the job goes on",
            stream,
            getId(),
            e.getMessage());
      }
    };
  }
}
