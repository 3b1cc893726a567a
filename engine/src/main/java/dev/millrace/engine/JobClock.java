package dev.millrace.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The one processing-time clock of a job, in milliseconds: the wall clock, or a manual clock that
 * only moves when told to (TestStream's processing-time advances).
 */
public abstract class JobClock {

  public abstract long now();

  /** True when the clock moves only through {@link #advanceTo(long)}. */
  abstract boolean isManual();

  /** Moves a manual clock forward; returns whether it moved. */
  abstract boolean advanceTo(long millis);

  public static JobClock system() {
    return new JobClock() {
      @Override
      public long now() {
        return System.currentTimeMillis();
      }

      @Override
      boolean isManual() {
        return false;
      }

      @Override
      boolean advanceTo(long millis) {
        throw new IllegalStateException(
            "the job runs on the wall clock; only a manual clock can be advanced");
      }
    };
  }

  public static JobClock manual(long startMillis) {
    return new Manual(startMillis);
  }

  private static final class Manual extends JobClock {
    private final AtomicLong time;

    Manual(long start) {
      this.time = new AtomicLong(start);
    }

    @Override
    public long now() {
      return time.get();
    }

    @Override
    boolean isManual() {
      return true;
    }

    @Override
    boolean advanceTo(long millis) {
      long before = time.getAndAccumulate(millis, Math::max);
      return millis > before;
    }
  }
}
