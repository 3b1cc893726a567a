package dev.millrace.runner.engine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread of a job's pool: steps its subtasks in turn until all are finished. When none of them
 * can move it backs off (spin, yield, then park up to a millisecond), so an idle job costs little.
 */
final class Worker implements Runnable {
  private static final long MAX_PARK_NANOS = 1_000_000;

  private final JobExecution job;
  private final List<Subtask> subtasks = new ArrayList<>();

  Worker(JobExecution job) {
    this.job = job;
  }

  void assign(Subtask subtask) {
    subtasks.add(subtask);
  }

  @Override
  public void run() {
    List<Subtask> live = new ArrayList<>(subtasks);
    int idleRounds = 0;
    while (!live.isEmpty()) {
      boolean progress = false;
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
        }
      }
      if (progress) {
        idleRounds = 0;
      } else {
        idleRounds++;
        if (idleRounds < 50) {
          Thread.onSpinWait();
        } else if (idleRounds < 100) {
          Thread.yield();
        } else {
          LockSupport.parkNanos(Math.min(MAX_PARK_NANOS, (idleRounds - 99) * 10_000L));
        }
      }
    }
  }
}
