package dev.millrace.engine;

import dev.millrace.engine.checkpoint.CheckpointRecord;
import dev.millrace.engine.checkpoint.CheckpointSettings;
import dev.millrace.engine.checkpoint.CheckpointStorage;
import dev.millrace.plan.Plan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a job's checkpoints, one at a time. A checkpoint starts when the coordinator raises {@link
 * #requested()}: every subtask with a source, between two bundles, snapshots itself and sends a
 * barrier down every channel behind what it emitted. A subtask with inputs holds back what arrives
 * on a channel after that channel's barrier until the barrier came on all of them (or the channel's
 * input had ended), then snapshots itself and passes the barrier on. The snapshots thus all cut the
 * job at the same point of every stream. Once every subtask acknowledged (a finished one counts as
 * acknowledged, and a restarted job does not run it again), the checkpoint's metadata is written
 * and operators hear that it completed.
 */
final class CheckpointCoordinator {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointCoordinator.class);

  private final JobControl job;
  private final Runnable wakeWorkers;
  private final String jobName;
  private final CheckpointSettings settings;
  private final CheckpointStorage storage;
  private final String planFingerprint;

  /** Told of each checkpoint's start and completion when the job is spread over processes. */
  private final RemoteExchange exchange;

  /** The keys of the subtasks that ended, and of those that acknowledged the pending checkpoint. */
  private final Set<String> finished = new HashSet<>();

  private final Set<String> acknowledged = new HashSet<>();
  private int subtaskCount;
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

  /** How many checkpoints the history keeps, newest last. */
  static final int HISTORY = 100;

  private final ArrayDeque<CheckpointRecord> history = new ArrayDeque<>();
  private String pendingTrigger;
  private long pendingStartMillis;
  private long pendingAlignedNanos;

  /** The checkpoint this run resumed from, 0 if none. */
  private volatile long restoredFrom;

  CheckpointCoordinator(
      JobControl job,
      Runnable wakeWorkers,
      String jobName,
      Plan plan,
      CheckpointSettings settings,
      RemoteExchange exchange) {
    this.exchange = exchange;
    this.job = job;
    this.wakeWorkers = wakeWorkers;
    this.jobName = jobName;
    this.settings = settings;
    this.storage = new CheckpointStorage(settings.directory(), settings.toKeep());
    this.planFingerprint = PlanFingerprint.of(plan);
    this.nextId = storage.nextId();
  }

  /**
   * The snapshots of the latest completed checkpoint, by subtask key, if there is one to resume
   * from; fails when it belongs to another plan.
   */
  Optional<Restore> latest(Iterable<String> subtaskKeys) {
    Optional<CheckpointStorage.CompletedCheckpoint> latest;
    if (exchange == RemoteExchange.NONE) {
      latest = storage.latestCompleted();
    } else {
      // A share of a spread job resumes the checkpoint its transport made durable, not a later
      // one written here whose output the other processes never saw.
      long durable = exchange.checkpointToResume();
      if (durable != 0 && !storage.hasCompleted(durable)) {
        // Not on this disk: the share moved here, or the disk was lost. The transport may have it.
        storage.receive(durable, directory -> exchange.fetchCheckpoint(durable, directory));
      }
      latest = durable == 0 ? Optional.empty() : Optional.of(storage.completed(durable));
    }
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
    exchange.resumed(checkpoint.id(), checkpoint.directory());
    // A checkpoint fetched from the transport may be the only one here: ids go on above it.
    nextId = Math.max(nextId, checkpoint.id() + 1);
    Map<String, SubtaskSnapshot> snapshots = new HashMap<>();
    for (String key : subtaskKeys) {
      snapshots.put(key, SubtaskSnapshot.read(checkpoint.directory().resolve(key)));
    }
    completed = checkpoint.id();
    restoredFrom = checkpoint.id();
    LOG.info(
        "Job {} resumes from checkpoint {} in {}",
        jobName,
        checkpoint.id(),
        checkpoint.directory());
    return Optional.of(new Restore(checkpoint.id(), checkpoint.directory(), snapshots));
  }

  /** What a restarted job resumes from. */
  record Restore(long checkpointId, Path directory, Map<String, SubtaskSnapshot> snapshots) {}

  synchronized void start(int subtasks, ScheduledExecutorService scheduler) {
    this.subtaskCount = subtasks;
    long interval = settings.intervalMillis();
    timer =
        scheduler.scheduleAtFixedRate(
            this::triggerOrFail, interval, interval, TimeUnit.MILLISECONDS);
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

  /** The id of the checkpoint this run resumed from, 0 if none. */
  long restoredFrom() {
    return restoredFrom;
  }

  /** The latest checkpoints, oldest first, the one being taken last. */
  synchronized List<CheckpointRecord> history() {
    List<CheckpointRecord> all = new ArrayList<>(history);
    if (pending != 0) {
      all.add(pendingRecord("IN_PROGRESS", 0));
    }
    return all;
  }

  private CheckpointRecord pendingRecord(String status, long bytes) {
    long now = System.nanoTime();
    return new CheckpointRecord(
        pending,
        pendingTrigger,
        pendingStartMillis,
        TimeUnit.NANOSECONDS.toMillis(now - pendingStartNanos),
        pendingAlignedNanos == 0
            ? 0
            : TimeUnit.NANOSECONDS.toMillis(pendingAlignedNanos - pendingStartNanos),
        bytes,
        status);
  }

  private void record(CheckpointRecord record) {
    if (history.size() == HISTORY) {
      history.removeFirst();
    }
    history.addLast(record);
  }

  private void triggerOrFail() {
    try {
      trigger("periodic");
    } catch (RuntimeException | Error e) {
      job.fail(e);
    }
  }

  /**
   * Starts a checkpoint now, unless one is being taken or the job is stopping; returns its id, or 0
   * when none was started.
   */
  synchronized long triggerNow() {
    long before = nextId;
    trigger("manual");
    return nextId != before ? before : 0;
  }

  synchronized void trigger(String trigger) {
    if (pending != 0 || stopped || job.isStopping()) {
      return;
    }
    pending = nextId++;
    pendingTrigger = trigger;
    pendingStartMillis = System.currentTimeMillis();
    pendingAlignedNanos = 0;
    pendingStartNanos = System.nanoTime();
    pendingDirectory = storage.begin(pending);
    acknowledged.clear();
    for (String key : finished) {
      acknowledgeFinished(key);
    }
    exchange.checkpointStarted(pending);
    requested = pending;
    if (acknowledged.size() == subtaskCount) {
      complete();
    }
    wakeWorkers.run();
  }

  /** The directory checkpoint {@code id} keeps the files of subtask {@code key} in. */
  synchronized Path directoryFor(long id, String key) {
    if (id != pending) {
      throw new IllegalStateException("checkpoint " + id + " is not being taken");
    }
    return pendingDirectory.resolve(key);
  }

  /**
   * Subtask {@code key} wrote its snapshot for checkpoint {@code id}, begun at {@code
   * snapshotStartNanos} once its barriers were aligned, and sent its barriers on.
   */
  synchronized void acknowledge(String key, long id, long snapshotStartNanos) {
    if (id != pending || !acknowledged.add(key)) {
      return;
    }
    pendingAlignedNanos = Math.max(pendingAlignedNanos, snapshotStartNanos);
    if (acknowledged.size() == subtaskCount) {
      complete();
    }
  }

  /**
   * Subtask {@code key} ended: it counts as acknowledged for this checkpoint and every later one.
   */
  synchronized void subtaskFinished(String key) {
    finished.add(key);
    if (pending != 0 && !acknowledged.contains(key)) {
      acknowledgeFinished(key);
      if (acknowledged.size() == subtaskCount) {
        complete();
      }
    }
  }

  private void acknowledgeFinished(String key) {
    try {
      SubtaskSnapshot.ofFinished().write(pendingDirectory.resolve(key));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write checkpoint " + pending + " of subtask " + key, e);
    }
    acknowledged.add(key);
  }

  private void complete() {
    // A cancel interrupts the job's threads, and an interrupted thread's file channels close at
    // once: a checkpoint completed by one would be left half done (its metadata in place, older
    // checkpoints not yet removed). The interrupt waits until the files are.
    boolean interrupted = Thread.interrupted();
    try {
      storage.complete(pending, planFingerprint);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    exchange.checkpointCompleted(pending, pendingDirectory);
    lastDurationMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pendingStartNanos);
    record(pendingRecord("COMPLETED", storage.sizeOf(pending)));
    LOG.debug("Checkpoint {} of {} complete in {} ms", pending, jobName, lastDurationMillis);
    completed = pending;
    completedCount++;
    pending = 0;
    wakeWorkers.run();
  }

  /**
   * Takes no more checkpoints; with {@code removeAll}, or when none was ever completed, removes the
   * job's checkpoint directory too.
   */
  synchronized void stop(boolean removeAll) {
    stopped = true;
    if (pending != 0) {
      record(pendingRecord("ABANDONED", 0));
      pending = 0;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    if (removeAll || completed == 0) {
      // Without a completed checkpoint there is nothing to resume: leave nothing behind.
      storage.removeAll();
    }
  }
}
