package dev.millrace.engine;

import dev.millrace.plan.Plan;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job that survives failures: when an attempt fails (a DoFn threw, a bundle could not commit), a
 * new attempt starts from the latest completed checkpoint, up to the settings' {@code maxRestarts}
 * times; then the job fails with the last attempt's error. Without a completed checkpoint to resume
 * (checkpoints off, or a failure before the first), or when the failure came from outside the job
 * ({@link #fail}), the job was cancelled, or the JVM itself failed (an OutOfMemoryError: what ran
 * out would run out again), the first failure is final: starting over from nothing would emit
 * everything a second time, and a job that fails at once (bad input, a step that cannot be
 * checkpointed) would only fail again.
 */
public final class RestartingJob {
  private static final Logger LOG = LoggerFactory.getLogger(RestartingJob.class);
  private static final long RESTART_DELAY_MILLIS = 200;

  private final Plan plan;
  private final String jobName;
  private final ExecutionSettings settings;
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile JobExecution current;
  private volatile JobStatus status = JobStatus.RUNNING;
  private volatile Throwable failure;
  private volatile boolean cancelled;
  private volatile boolean draining;
  private volatile Throwable failedFromOutside;
  private volatile int restarts;

  /** Each attempt's part of a job spread over several processes; NONE's for one process. */
  private final Supplier<RemoteExchange> exchanges;

  private RestartingJob(
      Plan plan, String jobName, ExecutionSettings settings, Supplier<RemoteExchange> exchanges) {
    this.plan = plan;
    this.jobName = jobName;
    this.settings = settings;
    this.exchanges = exchanges;
  }

  /** Starts the first attempt; returns as soon as it runs. */
  public static RestartingJob start(Plan plan, String jobName, ExecutionSettings settings) {
    return start(plan, jobName, settings, () -> RemoteExchange.NONE);
  }

  /**
   * Starts the first attempt of this process's part of a job spread over several, each attempt with
   * a new exchange from {@code exchanges}; returns as soon as it runs.
   */
  public static RestartingJob start(
      Plan plan, String jobName, ExecutionSettings settings, Supplier<RemoteExchange> exchanges) {
    RestartingJob job = new RestartingJob(plan, jobName, settings, exchanges);
    job.attempt();
    return job;
  }

  private void attempt() {
    JobExecution execution = JobExecution.start(plan, jobName, settings, exchanges.get());
    current = execution;
    // A cancel, failure or drain that came while this attempt was starting reached the last one.
    if (cancelled) {
      execution.cancel();
    }
    if (failedFromOutside != null) {
      execution.fail(failedFromOutside);
    }
    if (draining) {
      execution.drain();
    }
    execution.onEnd(this::attemptEnded);
  }

  private void attemptEnded(JobExecution attempt) {
    JobStatus end = attempt.status();
    boolean restart =
        end == JobStatus.FAILED
            && !(attempt.failure() instanceof VirtualMachineError)
            && !cancelled
            && failedFromOutside == null
            && settings.checkpoints().enabled()
            && attempt.hasCompletedCheckpoint()
            && restarts < settings.checkpoints().maxRestarts();
    if (!restart) {
      failure = failedFromOutside != null ? failedFromOutside : attempt.failure();
      status = cancelled && end != JobStatus.DONE ? JobStatus.CANCELLED : end;
      ended.countDown();
      return;
    }
    restarts++;
    LOG.warn(
        "Job {} failed; restart {} of {} from its latest checkpoint",
        jobName,
        restarts,
        settings.checkpoints().maxRestarts(),
        attempt.failure());
    Thread restarter =
        new Thread(
            () -> {
              try {
                Thread.sleep(RESTART_DELAY_MILLIS);
                if (cancelled) {
                  status = JobStatus.CANCELLED;
                  ended.countDown();
                  return;
                }
                attempt();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = attempt.failure();
                status = JobStatus.FAILED;
                ended.countDown();
              } catch (RuntimeException | Error e) {
                // The restart itself failed (its checkpoint unreadable): that is the job's end.
                e.addSuppressed(attempt.failure());
                failure = e;
                status = JobStatus.FAILED;
                ended.countDown();
              }
            },
            "millrace-" + jobName + "-restart");
    restarter.setDaemon(true);
    restarter.start();
  }

  /** Stops the job; it ends CANCELLED unless it already ended. */
  public void cancel() {
    cancelled = true;
    current.cancel();
  }

  /** Fails the job from outside (a harness it needs has gone); no restart follows. */
  public void fail(Throwable cause) {
    failedFromOutside = cause;
    current.fail(cause);
  }

  /** Drains the job (and any attempt started later). */
  public void drain() {
    draining = true;
    current.drain();
  }

  /** Waits for the job to end; returns its status, RUNNING if the time ran out. */
  public JobStatus await(Duration timeout) throws InterruptedException {
    if (timeout == null) {
      ended.await();
    } else {
      ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    return status;
  }

  public JobStatus status() {
    return status;
  }

  /** The error the job failed with, or null. */
  public Throwable failure() {
    return failure;
  }

  /** Attempts started after a failure so far. */
  public int restarts() {
    return restarts;
  }

  /** The job's current attempt (a new one after each restart), for whoever watches it. */
  public JobExecution currentAttempt() {
    return current;
  }

  /** Checkpoints the current attempt completed. */
  public long completedCheckpoints() {
    return current.completedCheckpoints();
  }

  public Plan plan() {
    return plan;
  }
}
