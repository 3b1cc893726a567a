package dev.millrace.runner.engine;

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
 */
public record ExecutionSettings(
    int maxBundleSize, long maxBundleMillis, int batchSize, int inboxCapacity, int workerThreads, JobClock clock) {

  public static ExecutionSettings defaults() {
    return new ExecutionSettings(1000, 100, 256, 32, Runtime.getRuntime().availableProcessors(), JobClock.system());
  }

  public ExecutionSettings {
    if (maxBundleSize < 1 || maxBundleMillis < 1 || batchSize < 1 || inboxCapacity < 1 || workerThreads < 1) {
      throw new IllegalArgumentException("execution settings must be positive");
    }
  }

  public ExecutionSettings withInboxCapacity(int capacity) {
    return new ExecutionSettings(maxBundleSize, maxBundleMillis, batchSize, capacity, workerThreads, clock);
  }

  public ExecutionSettings withBatchSize(int size) {
    return new ExecutionSettings(maxBundleSize, maxBundleMillis, size, inboxCapacity, workerThreads, clock);
  }

  public ExecutionSettings withClock(JobClock jobClock) {
    return new ExecutionSettings(maxBundleSize, maxBundleMillis, batchSize, inboxCapacity, workerThreads, jobClock);
  }
}
