package dev.millrace.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread of a job's pool. Workers share the job's subtasks: each round, a worker steps every
 * subtask no other worker is stepping at that moment, starting from a place of its own, so a
 * subtask stuck in slow user code holds up only itself while the other workers run the rest. When
 * no subtask can move, the worker spins briefly, then sleeps until the earliest time one of them
 * asked to be woken (a processing-time timer, a source's next poll, an open bundle's age limit) or
 * until it is woken: by a message, room in a full inbox, the job's clock moving, or the job
 * becoming quiescent. An idle job costs nothing but those wake-ups.
 */
final class Worker implements Runnable {
  /** Sleeps are capped, so a wake-up lost to a bug costs latency, never a hang. */
  private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private static final int SPIN_ROUNDS = 20;
  private static final int YIELD_ROUNDS = 40;

  private final JobControl job;
  private final Subtask[] subtasks;
  private final int start;
  private volatile Thread thread;
  private volatile boolean sleeping;
  private volatile boolean woken;

  Worker(JobControl job, Subtask[] subtasks, int start) {
    this.job = job;
    this.subtasks = subtasks;
    this.start = start;
  }

  /** Makes the worker run a round soon; cheap when it is awake. */
  void wake() {
    woken = true;
    if (sleeping) {
      LockSupport.unpark(thread);
    }
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    try {
      runRounds();
    } catch (Throwable fatal) {
      // Not a subtask's own failure (those end the subtask below) but one while ending a subtask,
      // say an OutOfMemoryError again while the heap is full: the job cannot go on. It fails at
      // once, and this worker ends what it can before it goes, in case it was the last one.
      job.fail(fatal);
      endAllAfterFatalError(fatal);
    }
  }

  private void runRounds() {
    int idleRounds = 0;
    int n = subtasks.length;
    while (job.liveSubtaskCount() > 0) {
      woken = false;
      boolean progress = false;
      long wakeUpAt = Long.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        Subtask subtask = subtasks[(start + i) % n];
        if (!claimLive(subtask)) {
          continue;
        }
        Subtask.Step step;
        try {
          Throwable failure = null;
          try {
            step = subtask.step();
          } catch (Throwable t) {
            failure = t;
            step = Subtask.Step.DONE;
          }
          if (step == Subtask.Step.DONE) {
            end(subtask, failure);
            progress = true;
          } else if (step == Subtask.Step.PROGRESS) {
            progress = true;
          } else {
            wakeUpAt = Math.min(wakeUpAt, subtask.wakeUpAt());
          }
        } finally {
          subtask.release();
        }
      }
      if (progress) {
        idleRounds = 0;
      } else if (++idleRounds < SPIN_ROUNDS) {
        Thread.onSpinWait();
      } else if (idleRounds < YIELD_ROUNDS) {
        Thread.yield();
      } else {
        sleepUntil(wakeUpAt);
      }
    }
  }

  /**
   * Claims a subtask that has not ended. Ended is checked again once claimed: another worker may
   * have ended it (and let go of its operators) between the first look and the claim.
   */
  private static boolean claimLive(Subtask subtask) {
    if (subtask.isEnded() || !subtask.claim()) {
      return false;
    }
    if (subtask.isEnded()) {
      subtask.release();
      return false;
    }
    return true;
  }

  /**
   * Closes a subtask that finished or failed and tells the job. Its operators are let go of first,
   * so whatever they held (a grouping's buffer, a DoFn's fields) is free before anything else runs.
   */
  private void end(Subtask subtask, Throwable failure) {
    subtask.markEnded();
    Throwable error = failure;
    try {
      error = subtask.close(failure);
    } catch (Throwable t) {
      error = error == null ? t : error;
    }
    job.subtaskEnded(subtask, error);
  }

  /** Ends every subtask no other worker is stepping, each with {@code fatal} as its failure. */
  private void endAllAfterFatalError(Throwable fatal) {
    for (Subtask subtask : subtasks) {
      if (!claimLive(subtask)) {
        continue;
      }
      try {
        end(subtask, fatal);
      } catch (Throwable again) {
        // Still failing (the heap still full?): the job has its failure; go on with the others.
      } finally {
        subtask.release();
      }
    }
  }

  private void sleepUntil(long wakeUpAtMillis) {
    long nanos = MAX_SLEEP_NANOS;
    if (wakeUpAtMillis != Long.MAX_VALUE) {
      nanos =
          Math.min(
              nanos, TimeUnit.MILLISECONDS.toNanos(wakeUpAtMillis - System.currentTimeMillis()));
    }
    if (nanos <= 0) {
      return;
    }
    sleeping = true;
    if (!woken && !job.isStopping()) {
      LockSupport.parkNanos(this, nanos);
    }
    sleeping = false;
  }
}
