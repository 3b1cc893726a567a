package dev.millrace.runner.monitor;

import dev.millrace.runner.MillracePipelineResult;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The jobs of this JVM, running and finished, as the web UI, the REST API, Prometheus and the
 * console show them. Every job the launcher starts is here; the latest {@link #FINISHED_KEPT}
 * finished ones stay. A daemon thread samples the running ones' figures once a second, so rates
 * cover a second whoever asks.
 */
public final class MonitoredJobs {
  /** Finished jobs kept for the pages, oldest dropped first. */
  public static final int FINISHED_KEPT = 100;

  private static final MonitoredJobs JVM = new MonitoredJobs();

  private final Map<String, MonitoredJob> jobs = new LinkedHashMap<>();
  private ScheduledExecutorService sampler;

  MonitoredJobs() {}

  /** This JVM's jobs. */
  public static MonitoredJobs ofThisJvm() {
    return JVM;
  }

  /** Starts watching {@code result}, a job just started; returns how it is known. */
  public synchronized MonitoredJob add(
      String id, String name, JobOrigin origin, MillracePipelineResult result) {
    MonitoredJob job = new MonitoredJob(id, name, origin, result);
    jobs.put(id, job);
    dropOldFinished();
    if (sampler == null) {
      sampler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "millrace-monitor-sampler");
                t.setDaemon(true);
                return t;
              });
      sampler.scheduleAtFixedRate(this::sampleRunning, 1, 1, TimeUnit.SECONDS);
    }
    return job;
  }

  private void dropOldFinished() {
    int finished = 0;
    for (MonitoredJob job : jobs.values()) {
      finished += job.isRunning() ? 0 : 1;
    }
    Iterator<MonitoredJob> it = jobs.values().iterator();
    while (finished > FINISHED_KEPT && it.hasNext()) {
      if (!it.next().isRunning()) {
        it.remove();
        finished--;
      }
    }
  }

  private void sampleRunning() {
    boolean anyRunning = false;
    for (MonitoredJob job : all()) {
      if (job.isRunning()) {
        anyRunning = true;
        try {
          job.sample();
        } catch (RuntimeException e) {
          // A job between attempts may have no figures for a moment; the next second will.
        }
      } else {
        job.endedAtMillis();
      }
    }
    if (!anyRunning) {
      stopSamplerIfIdle();
    }
  }

  /** No job runs: the sampler's thread goes, and the next job to start starts another. */
  private synchronized void stopSamplerIfIdle() {
    for (MonitoredJob job : jobs.values()) {
      if (job.isRunning()) {
        return;
      }
    }
    if (sampler != null) {
      sampler.shutdown();
      sampler = null;
    }
  }

  /** Every job kept, in the order they started. */
  public synchronized List<MonitoredJob> all() {
    return new ArrayList<>(jobs.values());
  }

  public synchronized Optional<MonitoredJob> get(String id) {
    return Optional.ofNullable(jobs.get(id));
  }
}
