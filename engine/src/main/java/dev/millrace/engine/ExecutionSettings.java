package dev.millrace.engine;

import dev.millrace.engine.checkpoint.CheckpointSettings;

/**
 * Knobs of one job's execution.
 *
 * @param maxBundleSize elements a subtask processes before it ends a bundle
 * @param maxBundleMillis time after which a subtask ends a bundle even if it is not full
 * @param batchSize elements an exchange packs into one message
 * @param inboxCapacity messages a subtask's inbox holds; a producer whose target inbox is full
 *     keeps its messages (in order) and takes no new input until they have moved on
 * @param workerThreads threads of the job's pool; subtasks are spread over them
 * @param clock the job's one processing-time clock
 * @param checkpoints whether, how often and where the job checkpoints
 */
public record ExecutionSettings(
    int maxBundleSize,
    long maxBundleMillis,
    int batchSize,
    int inboxCapacity,
    int workerThreads,
    JobClock clock,
    CheckpointSettings checkpoints) {

  public ExecutionSettings(
      int maxBundleSize,
      long maxBundleMillis,
      int batchSize,
      int inboxCapacity,
      int workerThreads,
      JobClock clock) {
    this(
        maxBundleSize,
        maxBundleMillis,
        batchSize,
        inboxCapacity,
        workerThreads,
        clock,
        CheckpointSettings.OFF);
  }

  public static ExecutionSettings defaults() {
    return new ExecutionSettings(
        1000, 100, 256, 32, Runtime.getRuntime().availableProcessors(), JobClock.system());
  }

  public ExecutionSettings {
    if (maxBundleSize < 1
        || maxBundleMillis < 1
        || batchSize < 1
        || inboxCapacity < 1
        || workerThreads < 1) {
      throw new IllegalArgumentException("execution settings must be positive");
    }
    if (checkpoints.enabled() && clock.isManual()) {
      // A TestStream's quiescence counting knows nothing of barriers; its tests need no recovery.
      throw new IllegalArgumentException(
          "checkpoints are not supported for a pipeline with a TestStream");
    }
  }

  public ExecutionSettings withInboxCapacity(int capacity) {
    return new ExecutionSettings(
        maxBundleSize, maxBundleMillis, batchSize, capacity, workerThreads, clock, checkpoints);
  }

  public ExecutionSettings withBatchSize(int size) {
    return new ExecutionSettings(
        maxBundleSize, maxBundleMillis, size, inboxCapacity, workerThreads, clock, checkpoints);
  }

  public ExecutionSettings withClock(JobClock jobClock) {
    return new ExecutionSettings(
        maxBundleSize,
        maxBundleMillis,
        batchSize,
        inboxCapacity,
        workerThreads,
        jobClock,
        checkpoints);
  }

  public ExecutionSettings withCheckpoints(CheckpointSettings settings) {
    return new ExecutionSettings(
        maxBundleSize, maxBundleMillis, batchSize, inboxCapacity, workerThreads, clock, settings);
  }
}
