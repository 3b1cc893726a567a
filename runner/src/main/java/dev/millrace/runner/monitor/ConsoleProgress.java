package dev.millrace.runner.monitor;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's progress on the console while it runs: on a terminal, one line on standard error,
 * rewritten twice a second and left with the job's end; otherwise a plain log line every {@link
 * #LOG_EVERY_MILLIS} ms, so a log file gets a few lines, not a stream of carriage returns.
 */
public final class ConsoleProgress {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleProgress.class);
  static final long TERMINAL_EVERY_MILLIS = 500;
  static final long LOG_EVERY_MILLIS = 5_000;

  private ConsoleProgress() {}

  /** Follows {@code job} on a daemon thread until it ends. */
  public static void follow(MonitoredJob job) {
    boolean terminal = System.console() != null;
    Thread thread =
        new Thread(() -> run(job, terminal ? System.err : null), "millrace-progress-" + job.id());
    thread.setDaemon(true);
    thread.start();
  }

  private static void run(MonitoredJob job, PrintStream terminal) {
    int lastWidth = 0;
    try {
      while (true) {
        boolean running = job.isRunning();
        String line = line(job);
        if (terminal != null) {
          terminal.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
          lastWidth = line.length();
          if (!running) {
            terminal.println();
          }
          terminal.flush();
        } else {
          LOG.info(line);
        }
        if (!running) {
          return;
        }
        awaitEnd(job, terminal != null ? TERMINAL_EVERY_MILLIS : LOG_EVERY_MILLIS);
      }
    } catch (RuntimeException e) {
      LOG.debug("Progress of {} stopped", job.id(), e);
    }
  }

  /** Waits {@code millis}, or less if the job ends first. */
  private static void awaitEnd(MonitoredJob job, long millis) {
    try {
      job.result().waitUntilFinish(org.joda.time.Duration.millis(millis));
    } catch (RuntimeException e) {
      // It failed: the next line says so.
    }
  }

  /** "job3 WordCount RUNNING 4.2 s · vertices 1/3 done · 120000 records read · 50000/s". */
  static String line(MonitoredJob job) {
    JobViews.JobSummary summary = JobViews.summary(job);
    List<JobViews.VertexView> vertices = JobViews.vertices(job);
    long done = vertices.stream().filter(JobViews.VertexView::done).count();
    Set<Integer> sources = JobViews.sourceVertices(job.attempt().plan());
    double rate = 0;
    for (JobViews.VertexView vertex : vertices) {
      if (sources.contains(vertex.id())) {
        rate += vertex.recordsInPerSecond();
      }
    }
    return String.format(
        "%s %s %s %.1f s · vertices %d/%d done · %d records read · %.0f/s",
        summary.id(),
        summary.name(),
        summary.state(),
        summary.durationMillis() / 1000.0,
        done,
        vertices.size(),
        summary.recordsRead(),
        job.isRunning() ? rate : 0.0);
  }
}
