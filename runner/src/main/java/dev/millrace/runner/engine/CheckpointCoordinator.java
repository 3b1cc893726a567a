package dev.millrace.runner.engine;

import dev.millrace.plan.Plan;
import dev.millrace.runner.checkpoint.CheckpointSettings;
import dev.millrace.runner.checkpoint.CheckpointStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a job's checkpoints, one at a time. A checkpoint starts when the coordinator raises
 * {@link #requested()}: every subtask with a source, between two bundles, snapshots itself and
 * sends a barrier down every channel behind what it emitted. A subtask with inputs holds back
 * what arrives on a channel after that channel's barrier until the barrier came on all of them
 * (or the channel's input had ended), then snapshots itself and passes the barrier on. The
 * snapshots thus all cut the job at the same point of every stream. Once every subtask
 * acknowledged (a finished one counts as acknowledged, and a restarted job does not run it
 * again), the checkpoint's metadata is written and operators hear that it completed.
 */
final class CheckpointCoordinator {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointCoordinator.class);

  private final JobExecution job;
  private final String jobName;
  private final CheckpointSettings settings;
  private final CheckpointStorage storage;
  private final String planFingerprint;
  private final Set<Subtask> finished = new HashSet<>();
  private final Set<Subtask> acknowledged = new HashSet<>();
  private Subtask[] subtasks = new Subtask[0];
  private long nextId;
  /** The checkpoint being taken, 0 when none. */
  private long pending;
  private Path pendingDirectory;
  private long pendingStartNanos;
  private volatile long requested;
  private volatile long completed;
  private volatile long completedCount;
  private volatile long lastDurationMillis;
  private ScheduledFuture<?> timer;
  private boolean stopped;

  CheckpointCoordinator(JobExecution job, String jobName, Plan plan, CheckpointSettings settings) {
    this.job = job;
    this.jobName = jobName;
    this.settings = settings;
    this.storage = new CheckpointStorage(settings.directory(), settings.toKeep());
    this.planFingerprint = fingerprint(plan);
    this.nextId = storage.nextId();
  }

  /**
   * The snapshots of the latest completed checkpoint, by subtask key, if there is one to resume
   * from; fails when it belongs to another plan.
   */
  Optional<Restore> latest(Iterable<Subtask> all) {
    Optional<CheckpointStorage.CompletedCheckpoint> latest = storage.latestCompleted();
    if (latest.isEmpty()) {
      return Optional.empty();
    }
    CheckpointStorage.CompletedCheckpoint checkpoint = latest.get();
    if (!checkpoint.metadata().planFingerprint().equals(planFingerprint)) {
      throw new IllegalStateException(
          "The checkpoint "
              + checkpoint.directory()
              + " was taken by another pipeline, or with another parallelism; it cannot be resumed. Start this"
              + " pipeline with another --jobName or --checkpointDir, or remove that directory");
    }
    Map<Subtask, SubtaskSnapshot> snapshots = new HashMap<>();
    for (Subtask subtask : all) {
      snapshots.put(subtask, SubtaskSnapshot.read(checkpoint.directory().resolve(subtask.key())));
    }
    completed = checkpoint.id();
    LOG.info("Job {} resumes from checkpoint {} in {}", jobName, checkpoint.id(), checkpoint.directory());
    return Optional.of(new Restore(checkpoint.id(), checkpoint.directory(), snapshots));
  }

  /** What a restarted job resumes from. */
  record Restore(long checkpointId, Path directory, Map<Subtask, SubtaskSnapshot> snapshots) {}

  synchronized void start(Subtask[] all, ScheduledExecutorService scheduler) {
    this.subtasks = all;
    long interval = settings.intervalMillis();
    timer = scheduler.scheduleAtFixedRate(this::triggerOrFail, interval, interval, TimeUnit.MILLISECONDS);
  }

  /** The checkpoint subtasks should take part in now; 0 before the first. */
  long requested() {
    return requested;
  }

  /** The latest completed checkpoint (of this run, or the one it resumed from). */
  long completed() {
    return completed;
  }

  long completedCount() {
    return completedCount;
  }

  long lastDurationMillis() {
    return lastDurationMillis;
  }

  Path root() {
    return storage.root();
  }

  private void triggerOrFail() {
    try {
      trigger();
    } catch (RuntimeException | Error e) {
      job.fail(e);
    }
  }

  synchronized void trigger() {
    if (pending != 0 || stopped || job.isStopping()) {
      return;
    }
    pending = nextId++;
    pendingStartNanos = System.nanoTime();
    pendingDirectory = storage.begin(pending);
    acknowledged.clear();
    for (Subtask subtask : finished) {
      acknowledgeFinished(subtask);
    }
    requested = pending;
    if (acknowledged.size() == subtasks.length) {
      complete();
    }
    job.wakeWorkers();
  }

  /** The directory checkpoint {@code id} keeps {@code subtask}'s files in. */
  synchronized Path directoryFor(long id, Subtask subtask) {
    if (id != pending) {
      throw new IllegalStateException("checkpoint " + id + " is not being taken");
    }
    return pendingDirectory.resolve(subtask.key());
  }

  /** {@code subtask} wrote its snapshot for checkpoint {@code id} and sent its barriers on. */
  synchronized void acknowledge(Subtask subtask, long id) {
    if (id != pending || !acknowledged.add(subtask)) {
      return;
    }
    if (acknowledged.size() == subtasks.length) {
      complete();
    }
  }

  /** {@code subtask} ended: it counts as acknowledged for this checkpoint and every later one. */
  synchronized void subtaskFinished(Subtask subtask) {
    finished.add(subtask);
    if (pending != 0 && !acknowledged.contains(subtask)) {
      acknowledgeFinished(subtask);
      if (acknowledged.size() == subtasks.length) {
        complete();
      }
    }
  }

  private void acknowledgeFinished(Subtask subtask) {
    try {
      SubtaskSnapshot.ofFinished().write(pendingDirectory.resolve(subtask.key()));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write checkpoint " + pending + " of " + subtask.name(), e);
    }
    acknowledged.add(subtask);
  }

  private void complete() {
    storage.complete(pending, planFingerprint);
    lastDurationMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pendingStartNanos);
    LOG.debug("Checkpoint {} of {} complete in {} ms", pending, jobName, lastDurationMillis);
    completed = pending;
    completedCount++;
    pending = 0;
    job.wakeWorkers();
  }

  /**
   * Takes no more checkpoints; with {@code removeAll}, or when none was ever completed, removes the
   * job's checkpoint directory too.
   */
  synchronized void stop(boolean removeAll) {
    stopped = true;
    if (timer != null) {
      timer.cancel(false);
    }
    if (removeAll || completed == 0) {
      // Without a completed checkpoint there is nothing to resume: leave nothing behind.
      storage.removeAll();
    }
  }

  /** Names the plan: its vertices, operators, parallelism and edges. */
  static String fingerprint(Plan plan) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(plan.explain().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
