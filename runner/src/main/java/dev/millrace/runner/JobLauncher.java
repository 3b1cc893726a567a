package dev.millrace.runner;

import dev.millrace.engine.ExecutionSettings;
import dev.millrace.engine.JobClock;
import dev.millrace.engine.RemoteExchange;
import dev.millrace.engine.RestartingJob;
import dev.millrace.engine.checkpoint.CheckpointSettings;
import dev.millrace.runner.monitor.JobOrigin;
import dev.millrace.runner.monitor.MonitoredJobs;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.TranslationOptions;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a translated job (from a Java pipeline or a portable one) on the engine, in this JVM, as
 * its options say: the one place where options become the translation's settings ({@link
 * #translationOptions}) and the engine's ({@code --parallelism}, bundle limits, the job's clock,
 * checkpoints).
 */
public final class JobLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(JobLauncher.class);
  private static final AtomicLong JOB_IDS = new AtomicLong();

  private final MillracePipelineOptions options;

  /** Subtasks per vertex, and the worker threads of the job: one knob, both meanings. */
  private final int parallelism;

  private JobLauncher(MillracePipelineOptions options) {
    this.options = options;
    this.parallelism = parallelism(options.getParallelism());
  }

  public static JobLauncher of(MillracePipelineOptions options) {
    return new JobLauncher(options);
  }

  /** What the translators take from the options. */
  public TranslationOptions translationOptions() {
    return new TranslationOptions(
        options, parallelism, options.isStreaming(), options.getStateBackend());
  }

  /**
   * Runs a translated job on the engine, in this JVM, with the options' bundle settings; returns as
   * soon as it runs.
   */
  public MillracePipelineResult start(TranslatedJob job) {
    return start(job, JobOrigin.JAVA_IN_PROCESS);
  }

  /**
   * Like {@link #start(TranslatedJob)}, for a job from {@code origin}; the job is watched by this
   * JVM's {@link MonitoredJobs} (the web UI, the REST API, Prometheus).
   */
  public MillracePipelineResult start(TranslatedJob job, JobOrigin origin) {
    MillracePipelineResult result = launch(job);
    MonitoredJobs.ofThisJvm().add(result.id(), options.getJobName(), origin, result);
    return result;
  }

  private MillracePipelineResult launch(TranslatedJob job) {
    MetricsEnvironment.setMetricsSupported(true);
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "Plan of {} ({}, state in {}):\n{}",
          options.getJobName(),
          job.streaming() ? "streaming" : "batch",
          job.stateBackend(),
          job.plan().explain());
    }
    ExecutionSettings settings =
        new ExecutionSettings(
                options.getMaxBundleElements(),
                options.getMaxBundleMillis(),
                // A subtask takes an exchange's messages whole: a bundle smaller than a message
                // needs messages no larger than it.
                Math.min(ExecutionSettings.defaults().batchSize(), options.getMaxBundleElements()),
                ExecutionSettings.defaults().inboxCapacity(),
                parallelism,
                job.usesTestStream() ? JobClock.manual(job.testClockStart()) : JobClock.system())
            .withCheckpoints(
                ClusterShare.requested(options)
                    ? ClusterShare.checkpointSettings(options, job.streaming())
                    : checkpointSettings(options, job.streaming() && !job.usesTestStream()));
    String name = "job" + JOB_IDS.incrementAndGet();
    if (ClusterShare.requested(options)) {
      Supplier<RemoteExchange> exchanges;
      try {
        exchanges = ClusterShare.join(options, job.plan(), settings.checkpoints().enabled());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while joining " + options.getClusterJob(), e);
      }
      return new MillracePipelineResult(
          name, RestartingJob.start(job.plan(), name, settings, exchanges), job);
    }
    return new MillracePipelineResult(name, RestartingJob.start(job.plan(), name, settings), job);
  }

  /** Checkpoints of a streaming job that does not say otherwise. */
  public static final long DEFAULT_STREAMING_CHECKPOINT_MILLIS = 10_000;

  /**
   * {@code --checkpointingInterval}, {@code --checkpointDir}, {@code --checkpointsToKeep} and
   * {@code --maxRestarts}: the job's checkpoints live in a directory named after its {@code
   * --jobName}. Unset (-1), the interval is {@link #DEFAULT_STREAMING_CHECKPOINT_MILLIS} when
   * {@code checkpointsFitByDefault} (a streaming job without TestStream: a TestStream drives the
   * job's clock by hand, which checkpoints do not follow), else there are none; 0 means none.
   */
  static CheckpointSettings checkpointSettings(
      MillracePipelineOptions options, boolean checkpointsFitByDefault) {
    return checkpointSettings(
        options,
        checkpointsFitByDefault ? DEFAULT_STREAMING_CHECKPOINT_MILLIS : 0,
        options.getJobName(),
        1);
  }

  /**
   * Checkpoint settings with {@code defaultInterval} when {@code --checkpointingInterval} is unset
   * (0: none), in a directory named after {@code name}, keeping at least {@code leastToKeep}.
   */
  static CheckpointSettings checkpointSettings(
      MillracePipelineOptions options, long defaultInterval, String name, int leastToKeep) {
    Long interval = options.getCheckpointingInterval();
    if (interval == null || interval == -1) {
      if (defaultInterval == 0) {
        return CheckpointSettings.OFF;
      }
      interval = defaultInterval;
    }
    if (interval == 0) {
      return CheckpointSettings.OFF;
    }
    if (interval < 0) {
      throw new IllegalArgumentException(
          "--checkpointingInterval must be a number of milliseconds, 0 for no checkpoints or -1 for the"
              + " default, was "
              + interval);
    }
    if (options.getCheckpointsToKeep() < 1) {
      throw new IllegalArgumentException(
          "--checkpointsToKeep must be at least 1, was " + options.getCheckpointsToKeep());
    }
    Path root =
        options.getCheckpointDir() == null
            ? Path.of(System.getProperty("java.io.tmpdir"), "millrace-checkpoints")
            : Path.of(options.getCheckpointDir());
    String jobDirectory = name.replaceAll("[^A-Za-z0-9._-]", "_");
    if (options.getMaxRestarts() < 0) {
      throw new IllegalArgumentException(
          "--maxRestarts must not be negative, was " + options.getMaxRestarts());
    }
    return new CheckpointSettings(
        interval,
        root.resolve(jobDirectory),
        Math.max(leastToKeep, options.getCheckpointsToKeep()),
        options.getMaxRestarts());
  }

  /** {@code --parallelism}: unset or -1 means every available core. */
  static int parallelism(Integer option) {
    if (option == null || option == -1) {
      return Runtime.getRuntime().availableProcessors();
    }
    if (option < 1) {
      throw new IllegalArgumentException(
          "--parallelism must be at least 1 (or -1 for every core), was " + option);
    }
    return option;
  }
}
