package dev.millrace.jobserver;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes what a job held (its SDK harnesses and their servers) within a time limit. The job's end
 * reaches its client only once the runner's {@code run} returns; closing Beam's bundle factory
 * waits for gRPC servers and harness processes, and once in a while, under load, a test's client
 * waited 200 s for a job that had ended. Past the limit the closing goes on in the background, and
 * the log says where it waits.
 */
final class BoundedClose {
  private static final Logger LOG = LoggerFactory.getLogger(BoundedClose.class);

  private BoundedClose() {}

  /**
   * Closes {@code resource}, named {@code what} in the log, and rethrows what its close threw;
   * returns after {@code limit} if it has not finished by then. An interrupt of the calling thread
   * does not shorten the wait (a cancelled job's thread is interrupted) and is kept for the caller.
   */
  static void close(AutoCloseable resource, String what, Duration limit) throws Exception {
    AtomicReference<Exception> failure = new AtomicReference<>();
    Thread closer =
        new Thread(
            () -> {
              try {
                resource.close();
              } catch (Exception e) {
                failure.set(e);
              }
            },
            "millrace-close");
    closer.setDaemon(true);
    closer.start();
    boolean interrupted = Thread.interrupted();
    try {
      closer.join(limit.toMillis());
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (closer.isAlive()) {
      StringBuilder stack = new StringBuilder();
      for (StackTraceElement frame : closer.getStackTrace()) {
        stack.append("\n\tat ").append(frame);
      }
      LOG.warn(
          "Closing {} did not finish in {} s; it goes on in the background. It waits in:{}",
          what,
          limit.toSeconds(),
          stack);
      return;
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }
}
