package dev.millrace.engine;

/**
 * What a job's workers, subtasks and checkpoint coordinator may ask of the job itself: whether it
 * goes on, and to end it. Everything else they need is handed to them on its own (the clock, the
 * quiescence count, a way to wake the workers), so none of them holds the whole job.
 */
interface JobControl {
  /** Throws if the job is stopping (failed or cancelled), so a subtask leaves its step. */
  void checkRunning() throws InterruptedException;

  boolean isStopping();

  /** Whether sources should end their input (see {@link JobExecution#drain()}). */
  boolean isDraining();

  /** Fails the job with {@code cause}, unless it already ended or failed. */
  void fail(Throwable cause);

  /** Subtasks that have not ended yet. */
  int liveSubtaskCount();

  /** {@code subtask} ended, closed, with {@code error} or null. */
  void subtaskEnded(Subtask subtask, Throwable error);
}
