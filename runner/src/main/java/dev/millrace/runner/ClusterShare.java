package dev.millrace.runner;

import dev.millrace.cluster.worker.ClusterWorker;
import dev.millrace.engine.RemoteExchange;
import dev.millrace.engine.checkpoint.CheckpointSettings;
import dev.millrace.plan.Plan;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * This JVM's share of a job spread over several workers ({@code --clusterBootstrap}): the options
 * checked, the job joined on its brokers, and the exchanges each attempt runs with.
 */
final class ClusterShare {
  private ClusterShare() {}

  /**
   * A streaming job's checkpoints on a cluster unless {@code --checkpointingInterval} says
   * otherwise: each one commits what the worker sent since the one before, and its consumers read
   * committed records only, so this is the latency each exchange between workers adds.
   */
  static final long DEFAULT_CHECKPOINT_MILLIS = 1_000;

  /**
   * The checkpoints of this worker's share, in a directory of its own ({@code
   * <clusterJob>-w<worker>}); at least two are kept, so the one its last transaction committed is
   * still there when a later one completed here but was not committed.
   */
  static CheckpointSettings checkpointSettings(MillracePipelineOptions options, boolean streaming) {
    return JobLauncher.checkpointSettings(
        options,
        streaming ? DEFAULT_CHECKPOINT_MILLIS : 0,
        slot(options).workerName(options.getClusterJob()),
        2);
  }

  /** Whether the options spread the job over several workers. */
  static boolean requested(MillracePipelineOptions options) {
    return options.getClusterBootstrap() != null && !options.getClusterBootstrap().isBlank();
  }

  /** This JVM's slot in the job, the cluster options checked. */
  private static ClusterWorker.Slot slot(MillracePipelineOptions options) {
    String job = options.getClusterJob();
    if (job == null || job.isBlank()) {
      throw new IllegalArgumentException(
          "--clusterBootstrap needs --clusterJob: the name every worker of the job gives");
    }
    try {
      return new ClusterWorker.Slot(options.getClusterWorker(), options.getClusterWorkers());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--clusterWorker="
              + options.getClusterWorker()
              + " and --clusterWorkers="
              + options.getClusterWorkers()
              + ": the worker is one of 0 to --clusterWorkers - 1",
          e);
    }
  }

  static Supplier<RemoteExchange> join(
      MillracePipelineOptions options, Plan plan, boolean checkpoints) throws InterruptedException {
    ClusterWorker.Slot slot = slot(options);
    return ClusterWorker.join(
        Map.of("bootstrap.servers", options.getClusterBootstrap()),
        options.getClusterJob(),
        plan,
        slot,
        new byte[0],
        Map.of("clusterWorkers", String.valueOf(slot.count())),
        checkpoints,
        Duration.ofSeconds(options.getClusterConnectTimeoutSeconds()));
  }
}
