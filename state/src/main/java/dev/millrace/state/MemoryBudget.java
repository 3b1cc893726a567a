package dev.millrace.state;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Heap bytes that the batch groupings of one job may hold together. Each grouping reserves what it
 * holds in steps; one that is refused writes what it holds to disk and starts again. Holding data
 * on the heap past a budget, rather than past the heap, is what lets a grouping of any size finish
 * with a heap of any size.
 */
public final class MemoryBudget {
  private final long limitBytes;
  private final AtomicLong reserved = new AtomicLong();

  public MemoryBudget(long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("a memory budget must be positive, was " + limitBytes);
    }
    this.limitBytes = limitBytes;
  }

  /** A quarter of the largest heap this JVM may have: the default for batch groupings. */
  public static long defaultBytes() {
    return Runtime.getRuntime().maxMemory() / 4;
  }

  public long limitBytes() {
    return limitBytes;
  }

  /** Bytes reserved now, by every holder. */
  public long reservedBytes() {
    return reserved.get();
  }

  /**
   * Takes {@code bytes} from the budget if that many are left; false (and nothing taken) if not.
   */
  public boolean tryReserve(long bytes) {
    long now;
    do {
      now = reserved.get();
      if (now + bytes > limitBytes) {
        return false;
      }
    } while (!reserved.compareAndSet(now, now + bytes));
    return true;
  }

  public void release(long bytes) {
    reserved.addAndGet(-bytes);
  }

  /** A holder's share of the budget, reserved in steps of {@code stepBytes} as it needs more. */
  public Reservation reservation(long stepBytes) {
    return new Reservation(stepBytes);
  }

  /** What one holder has reserved; used by one thread. */
  public final class Reservation {
    private final long stepBytes;
    private long reservedBytes;

    private Reservation(long stepBytes) {
      this.stepBytes = stepBytes;
    }

    /**
     * Reserves more, a step at a time, until at least {@code bytes} are reserved; false if the
     * budget refused first (what was reserved before stays reserved).
     */
    public boolean cover(long bytes) {
      while (reservedBytes < bytes) {
        if (!tryReserve(stepBytes)) {
          return false;
        }
        reservedBytes += stepBytes;
      }
      return true;
    }

    /** What this holder has reserved now. */
    public long reservedBytes() {
      return reservedBytes;
    }

    /** Gives back whole steps while at least {@code bytes} stay reserved. */
    public void shrinkTo(long bytes) {
      while (reservedBytes - stepBytes >= Math.max(0, bytes)) {
        release(stepBytes);
        reservedBytes -= stepBytes;
      }
    }

    /** Gives back everything this holder reserved. */
    public void releaseAll() {
      release(reservedBytes);
      reservedBytes = 0;
    }
  }
}
