package dev.millrace.engine.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition in a test, with a deadline of its own and a failure that names it. */
public final class Await {
  private static final long POLL_MILLIS = 5;

  private Await() {}

  /**
   * Returns once {@code condition} holds; fails with {@code what} in the message if it does not
   * within {@code timeout}.
   */
  public static void until(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    if (!holdsWithin(condition, timeout)) {
      throw new AssertionError(
          "Timed out after " + timeout.toMillis() + " ms waiting until " + what);
    }
  }

  /**
   * Whether {@code condition} came to hold within {@code timeout}, for a caller with its own
   * failure.
   */
  public static boolean holdsWithin(BooleanSupplier condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(POLL_MILLIS);
    }
    return true;
  }
}
