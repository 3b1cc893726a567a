package dev.millrace.engine;

/** Where a job is in its life. */
public enum JobStatus {
  RUNNING,
  DONE,
  FAILED,
  CANCELLED;

  public boolean isTerminal() {
    return this != RUNNING;
  }
}
