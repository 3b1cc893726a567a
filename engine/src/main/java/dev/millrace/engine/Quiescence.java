package dev.millrace.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Knows when a job driven by a manual clock (a TestStream) is quiescent: nothing left to do
 * anywhere, so the next event may be applied. It counts messages in flight, busy subtasks and clock
 * advances some live subtask has not seen yet. Work is always counted before the work that caused
 * it is uncounted (a message is counted when sent, and uncounted only after its consumer marked
 * itself busy), so the count is zero only when nothing is left. With the wall clock nothing is
 * counted and every call is cheap.
 */
final class Quiescence {
  private final boolean tracked;
  private final JobClock clock;
  private final Runnable wakeWorkers;
  private final AtomicLong pendingWork = new AtomicLong();

  /** Some worker wants to know when the job is quiescent. */
  private final AtomicBoolean awaited = new AtomicBoolean();

  private final Object clockLock = new Object();

  /**
   * Manual clock advances so far; each is counted in pendingWork until every live subtask saw it.
   */
  private volatile long clockEpoch;

  private int subtasksToSeeClock;
  private int liveSubtasks;

  Quiescence(JobClock clock, int subtasks, Runnable wakeWorkers) {
    this.tracked = clock.isManual();
    this.clock = clock;
    this.liveSubtasks = subtasks;
    this.wakeWorkers = wakeWorkers;
  }

  /** Whether the job counts its work at all (it has a manual clock). */
  boolean tracked() {
    return tracked;
  }

  void messageSent() {
    if (tracked) {
      pendingWork.incrementAndGet();
    }
  }

  /** A message was handled, or a subtask became idle: one unit of work less. */
  void workDone() {
    if (tracked && pendingWork.decrementAndGet() == 0 && awaited.compareAndSet(true, false)) {
      wakeWorkers.run();
    }
  }

  /**
   * Whether nothing is left to do anywhere (the caller itself must not be busy). If not, the
   * workers are woken once it is.
   */
  boolean isQuiescent() {
    if (pendingWork.get() == 0) {
      return true;
    }
    awaited.set(true);
    return pendingWork.get() == 0;
  }

  long clockEpoch() {
    return clockEpoch;
  }

  /**
   * Moves the manual clock; every live subtask must see the new time before the job is quiescent.
   */
  void advanceClock(long millis) {
    synchronized (clockLock) {
      if (!clock.advanceTo(millis)) {
        return;
      }
      if (subtasksToSeeClock == 0) {
        pendingWork.incrementAndGet();
      }
      subtasksToSeeClock = liveSubtasks;
      clockEpoch++;
    }
    wakeWorkers.run();
  }

  /** One subtask's part: whether it is busy and which clock advance it has seen. */
  Member member() {
    return new Member();
  }

  final class Member {
    private boolean busy;

    /** The last clock advance seen; guarded by the clock lock. */
    private long seenEpoch;

    /** Counts the subtask in the job's pending work while it has something to do. */
    void setBusy(boolean nowBusy) {
      if (tracked && nowBusy != busy) {
        busy = nowBusy;
        if (nowBusy) {
          pendingWork.incrementAndGet();
        } else {
          workDone();
        }
      }
    }

    /** The subtask read the clock after advance {@code epoch}. */
    void clockSeen(long epoch) {
      if (tracked && seenEpoch < epoch) {
        seen(epoch, false);
      }
    }

    /** The subtask ends: it is busy no more and will never look at the clock again. */
    void ended() {
      setBusy(false);
      if (tracked) {
        seen(clockEpoch, true);
      }
    }

    private void seen(long epoch, boolean ending) {
      boolean done = false;
      synchronized (clockLock) {
        long seen = ending ? clockEpoch : epoch;
        if (seenEpoch < seen) {
          seenEpoch = seen;
          // Only the latest advance is waited for: it reset the count to every live subtask.
          if (seen == clockEpoch && subtasksToSeeClock > 0) {
            done = --subtasksToSeeClock == 0;
          }
        }
        if (ending) {
          liveSubtasks--;
        }
      }
      if (done) {
        workDone();
      }
    }
  }
}
