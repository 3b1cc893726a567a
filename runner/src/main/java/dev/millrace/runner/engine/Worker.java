package dev.millrace.runner.engine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread of a job's pool: steps its subtasks in turn until all are finished. When none of them
 * can move it spins briefly, then sleeps until the earliest time one of them asked to be woken (a
 * processing-time timer, a source's next poll, an open bundle's age limit) or until it is woken:
 * by a message for one of its subtasks, room in an inbox one of them waits for, the job's clock
 * moving, or the job becoming quiescent. An idle job costs nothing but those wake-ups.
 */
final class Worker implements Runnable {
  /** Sleeps are capped, so a wake-up lost to a bug costs latency, never a hang. */
  private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final int SPIN_ROUNDS = 20;
  private static final int YIELD_ROUNDS = 40;

  private final JobExecution job;
  private final List<Subtask> subtasks = new ArrayList<>();
  private volatile Thread thread;
  private volatile boolean sleeping;
  private volatile boolean woken;
  /** Registered with the job to be woken once it is quiescent (at most once at a time). */
  final java.util.concurrent.atomic.AtomicBoolean waitsForQuiescence = new java.util.concurrent.atomic.AtomicBoolean();

  Worker(JobExecution job) {
    this.job = job;
  }

  void assign(Subtask subtask) {
    subtasks.add(subtask);
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
    List<Subtask> live = new ArrayList<>(subtasks);
    int idleRounds = 0;
    while (!live.isEmpty()) {
      woken = false;
      boolean progress = false;
      long wakeUpAt = Long.MAX_VALUE;
      Iterator<Subtask> it = live.iterator();
      while (it.hasNext()) {
        Subtask subtask = it.next();
        Subtask.Step step;
        Throwable failure = null;
        try {
          step = subtask.step();
        } catch (Throwable t) {
          failure = t;
          step = Subtask.Step.DONE;
        }
        if (step == Subtask.Step.DONE) {
          it.remove();
          job.subtaskEnded(subtask, subtask.close(failure));
          progress = true;
        } else if (step == Subtask.Step.PROGRESS) {
          progress = true;
        } else {
          wakeUpAt = Math.min(wakeUpAt, subtask.wakeUpAt());
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
