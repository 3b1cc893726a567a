package dev.millrace.runner.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread of a job's pool. Workers share the job's subtasks: each round, a worker steps every
 * subtask no other worker is stepping at that moment, starting from a place of its own, so a
 * subtask stuck in slow user code holds up only itself while the other workers run the rest.
 * When no subtask can move, the worker spins briefly, then sleeps until the earliest time one of
 * them asked to be woken (a processing-time timer, a source's next poll, an open bundle's age
 * limit) or until it is woken: by a message, room in a full inbox, the job's clock moving, or the
 * job becoming quiescent. An idle job costs nothing but those wake-ups.
 */
final class Worker implements Runnable {
  /** Sleeps are capped, so a wake-up lost to a bug costs latency, never a hang. */
  private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final int SPIN_ROUNDS = 20;
  private static final int YIELD_ROUNDS = 40;

  private final JobExecution job;
  private final Subtask[] subtasks;
  private final int start;
  private volatile Thread thread;
  private volatile boolean sleeping;
  private volatile boolean woken;

  Worker(JobExecution job, Subtask[] subtasks, int start) {
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
    int idleRounds = 0;
    int n = subtasks.length;
    while (job.liveSubtaskCount() > 0) {
      woken = false;
      boolean progress = false;
      long wakeUpAt = Long.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        Subtask subtask = subtasks[(start + i) % n];
        if (subtask.isEnded() || !subtask.claim()) {
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
            subtask.markEnded();
            job.subtaskEnded(subtask, subtask.close(failure));
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

  private void sleepUntil(long wakeUpAtMillis) {
    long nanos = MAX_SLEEP_NANOS;
    if (wakeUpAtMillis != Long.MAX_VALUE) {
      nanos = Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(wakeUpAtMillis - System.currentTimeMillis()));
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
