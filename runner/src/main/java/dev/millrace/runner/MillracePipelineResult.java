package dev.millrace.runner;

import dev.millrace.engine.JobExecution;
import dev.millrace.engine.JobStatus;
import dev.millrace.engine.RestartingJob;
import dev.millrace.translation.TranslatedJob;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.util.UserCodeException;
import org.joda.time.Duration;

/** A job started by {@link MillraceRunner}. */
public class MillracePipelineResult implements PipelineResult {
  private final String id;
  private final RestartingJob execution;
  private final TranslatedJob job;

  MillracePipelineResult(String id, RestartingJob execution, TranslatedJob job) {
    this.id = id;
    this.execution = execution;
    this.job = job;
  }

  /** How this JVM knows the job: "job3"; its web UI's address names it so. */
  public String id() {
    return id;
  }

  @Override
  public State getState() {
    return toState(execution.status());
  }

  private static State toState(JobStatus status) {
    return switch (status) {
      case RUNNING -> State.RUNNING;
      case DONE -> State.DONE;
      case FAILED -> State.FAILED;
      case CANCELLED -> State.CANCELLED;
    };
  }

  @Override
  public State cancel() {
    execution.cancel();
    return waitUntilFinish(Duration.standardSeconds(30));
  }

  /** Fails the job with {@code cause}: something outside the job that it needs has gone. */
  public void fail(Throwable cause) {
    execution.fail(cause);
  }

  /**
   * Drains the job and waits up to {@code timeout} for it to end: unbounded sources stop and end
   * their input, splittable DoFns truncate what is left to do, every window fires as the watermark
   * reaches the end, and the job ends DONE. Returns null if the time ran out (it keeps draining).
   */
  public State drain(Duration timeout) {
    execution.drain();
    return waitUntilFinish(timeout);
  }

  /**
   * Waits for the job; a failed job throws {@link Pipeline.PipelineExecutionException} with the
   * user's exception as its cause. Returns null if the time ran out.
   */
  @Override
  public State waitUntilFinish(Duration duration) {
    JobStatus status;
    try {
      status =
          execution.await(
              duration == null ? null : java.time.Duration.ofMillis(duration.getMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    if (status == JobStatus.FAILED) {
      throw new Pipeline.PipelineExecutionException(userCause(execution.failure()));
    }
    return status.isTerminal() ? toState(status) : null;
  }

  @Override
  public State waitUntilFinish() {
    return waitUntilFinish(null);
  }

  /** The user's own exception, without the wrappers Beam's DoFn runners put around it. */
  static Throwable userCause(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof UserCodeException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  @Override
  public MetricResults metrics() {
    return job.metrics().results();
  }

  /** The engine's current attempt at the job (a new one after each restart). */
  public JobExecution currentAttempt() {
    return execution.currentAttempt();
  }

  /** What was translated: the plan, the metrics, how it runs. */
  public TranslatedJob translatedJob() {
    return job;
  }

  /** Asks the job to drain without waiting for it (see {@link #drain(Duration)}). */
  public void requestDrain() {
    execution.drain();
  }

  /** Asks the job to stop without waiting for it to end CANCELLED. */
  public void requestCancel() {
    execution.cancel();
  }

  /** The failure the job ended with, null unless it failed. */
  public Throwable failure() {
    return execution.status() == JobStatus.FAILED ? userCause(execution.failure()) : null;
  }

  /** Checkpoints the job's current attempt completed so far. */
  public long completedCheckpoints() {
    return execution.completedCheckpoints();
  }

  /** Times the job was started again from its latest checkpoint after a failure. */
  public int restarts() {
    return execution.restarts();
  }

  /** How the job runs (batch or streaming, where its state lives) and its plan, as text. */
  public String explain() {
    return (job.streaming() ? "streaming" : "batch")
        + " job, keyed state in "
        + job.stateBackend()
        + (job.usesTestStream() ? ", on TestStream's manual clock" : "")
        + "\n"
        + execution.plan().explain();
  }
}
