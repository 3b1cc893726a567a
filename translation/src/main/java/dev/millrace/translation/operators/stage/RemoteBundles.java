package dev.millrace.translation.operators.stage;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.beam.runners.fnexecution.control.RemoteBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes remote bundles so that an interrupt does not abandon one half-way. When a job fails or is
 * cancelled the engine interrupts its workers; a worker waiting for the harness to finish a bundle
 * would otherwise give up on it while the harness still works on it, and the harness's environment
 * would then be shut down with the instruction still open, which some SDK harnesses (TypeScript's)
 * do not survive: the submitting process itself dies in LOOPBACK. So the wait goes on, for a
 * bounded time, after an interrupt, which is then passed on.
 */
final class RemoteBundles {
  /** How long a bundle may still take to finish once the job is stopping. */
  static final long GRACE_SECONDS = 30;

  /** How often a bundle that takes long is reported in the log. */
  private static final long REPORT_SECONDS = 60;

  private static final Logger LOG = LoggerFactory.getLogger(RemoteBundles.class);

  private static final ExecutorService CLOSERS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "millrace-remote-bundle-close");
            t.setDaemon(true);
            return t;
          });

  private RemoteBundles() {}

  static void close(RemoteBundle bundle) throws Exception {
    Future<?> closed =
        CLOSERS.submit(
            () -> {
              bundle.close();
              return null;
            });
    boolean interrupted = false;
    long waitedSeconds = 0;
    try {
      while (true) {
        try {
          closed.get(interrupted ? GRACE_SECONDS : REPORT_SECONDS, TimeUnit.SECONDS);
          return;
        } catch (InterruptedException e) {
          if (interrupted) {
            throw e;
          }
          interrupted = true;
        } catch (TimeoutException e) {
          if (interrupted) {
            throw new InterruptedException(
                "stopped waiting for remote bundle "
                    + bundle.getId()
                    + " after "
                    + GRACE_SECONDS
                    + " s");
          }
          waitedSeconds += REPORT_SECONDS;
          LOG.warn(
              "Still waiting for the SDK harness to finish bundle {} after {} s",
              bundle.getId(),
              waitedSeconds);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
