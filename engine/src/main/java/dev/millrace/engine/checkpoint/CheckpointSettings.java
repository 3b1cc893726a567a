package dev.millrace.engine.checkpoint;

import java.nio.file.Path;

/**
 * How a job checkpoints.
 *
 * @param intervalMillis time from the start of one checkpoint to the start of the next (a tick that
 *     comes while one is still running is skipped); 0: off
 * @param directory where this job's checkpoints live (already specific to the job)
 * @param toKeep completed checkpoints kept; older ones are deleted once a newer one completes
 * @param maxRestarts times a failed job is started again from its latest checkpoint before it fails
 *     for good
 */
public record CheckpointSettings(long intervalMillis, Path directory, int toKeep, int maxRestarts) {

  public static final CheckpointSettings OFF = new CheckpointSettings(0, null, 0, 0);

  /**
   * Checkpoints without restarts: a failure fails the job, which can be resumed by starting it
   * again.
   */
  public CheckpointSettings(long intervalMillis, Path directory, int toKeep) {
    this(intervalMillis, directory, toKeep, 0);
  }

  public CheckpointSettings {
    if (intervalMillis < 0) {
      throw new IllegalArgumentException(
          "the checkpointing interval must not be negative, was " + intervalMillis);
    }
    if (maxRestarts < 0) {
      throw new IllegalArgumentException(
          "the number of restarts must not be negative, was " + maxRestarts);
    }
    if (intervalMillis > 0 && (directory == null || toKeep < 1)) {
      throw new IllegalArgumentException(
          "checkpoints need a directory and must keep at least one completed checkpoint, was "
              + toKeep);
    }
  }

  public boolean enabled() {
    return intervalMillis > 0;
  }
}
