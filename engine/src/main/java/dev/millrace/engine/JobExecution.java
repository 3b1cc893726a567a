package dev.millrace.engine;

import dev.millrace.engine.checkpoint.CheckpointRecord;
import dev.millrace.plan.Edge;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.ElementCodec;
import dev.millrace.plan.Plan;
import dev.millrace.plan.Vertex;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One running job: its subtasks spread over a fixed pool of worker threads, bounded inboxes between
 * them. The first failure of any subtask stops every other subtask; the job ends once every subtask
 * has ended and every operator was closed.
 *
 * <p>Its subtasks, workers and checkpoint coordinator see it only as {@link JobControl}; with a
 * manual clock (a job driven by a TestStream) its {@link Quiescence} knows when nothing is left to
 * do anywhere.
 */
public final class JobExecution implements JobControl {
  /** Where a channel of a subtask's inbox leads, how its elements are encoded, who sends on it. */
  record ChannelTarget(
      int operator, int port, ElementCodec codec, int fromVertex, int fromSubtask) {}

  /** {@link ChannelTarget#fromSubtask()} of a channel a remote exchange feeds. */
  static final int REMOTE = -1;

  private final Plan plan;
  private final String jobName;
  private final ExecutionSettings settings;
  private final RemoteExchange exchange;
  private final List<Thread> threads = new ArrayList<>();
  private final List<Worker> workers = new ArrayList<>();
  private volatile Subtask[] subtasks = new Subtask[0];
  private final CountDownLatch ended;
  private final AtomicInteger running;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean cancelRequested;
  private volatile boolean draining;
  private volatile JobStatus status = JobStatus.RUNNING;
  private final Quiescence quiescence;
  private ScheduledThreadPoolExecutor scheduler;
  private volatile Thread schedulerThread;

  /** How long a job that ended well waits for a scheduled task it is running (a checkpoint). */
  private static final long SCHEDULER_END_WAIT_SECONDS = 60;

  /** Null unless the job checkpoints. */
  private final CheckpointCoordinator checkpoints;

  /** Where the job's failure came from, when a subtask's own error failed it. */
  private volatile String failedIn;

  private Consumer<JobExecution> endListener;
  private boolean endReported;

  private JobExecution(
      Plan plan, String jobName, ExecutionSettings settings, RemoteExchange exchange) {
    this.plan = plan;
    this.jobName = jobName;
    this.settings = settings;
    this.exchange = exchange;
    int subtasks = 0;
    for (Vertex v : plan.vertices()) {
      for (int s = 0; s < v.parallelism(); s++) {
        subtasks += exchange.runsHere(v.id(), s) ? 1 : 0;
      }
    }
    if (exchange != RemoteExchange.NONE) {
      // The manual clock's quiescence would have to cross processes too.
      if (settings.clock().isManual()) {
        throw new IllegalArgumentException(
            "job "
                + jobName
                + " is spread over several processes, which cannot share a test clock");
      }
    }
    this.ended = new CountDownLatch(subtasks);
    this.running = new AtomicInteger(subtasks);
    this.quiescence = new Quiescence(settings.clock(), subtasks, this::wakeWorkers);
    this.checkpoints =
        settings.checkpoints().enabled() && subtasks > 0
            ? new CheckpointCoordinator(
                this, this::wakeWorkers, jobName, plan, settings.checkpoints(), exchange)
            : null;
    if (subtasks == 0) {
      // A pipeline without transforms: no subtask will ever end and say so, and nothing is left to
      // do.
      status = JobStatus.DONE;
    }
  }

  /** Builds every subtask of the plan and starts their threads. */
  public static JobExecution start(Plan plan, String jobName, ExecutionSettings settings) {
    return start(plan, jobName, settings, RemoteExchange.NONE);
  }

  /**
   * Builds the subtasks of the plan that {@code exchange} places in this process, connects them to
   * the other processes through it, and starts their threads.
   */
  public static JobExecution start(
      Plan plan, String jobName, ExecutionSettings settings, RemoteExchange exchange) {
    JobExecution job = new JobExecution(plan, jobName, settings, exchange);
    job.launch();
    return job;
  }

  private void launch() {
    List<Vertex> vertices = plan.vertices();
    Inbox[][] inboxes = new Inbox[vertices.size()][];
    // channels[v][s]: the channels of subtask s of vertex v, in the order their ids are given.
    List<List<List<ChannelTarget>>> channels = new ArrayList<>();
    // channelIds[edge][producer][consumer], for edges within this process
    int[][][] channelIds = new int[plan.edges().size()][][];
    // remoteChannels[edge][consumer]: the channel a remote edge feeds, -1 where none
    int[][] remoteChannels = new int[plan.edges().size()][];
    for (Vertex v : vertices) {
      List<List<ChannelTarget>> perSubtask = new ArrayList<>();
      for (int s = 0; s < v.parallelism(); s++) {
        perSubtask.add(new ArrayList<>());
      }
      channels.add(perSubtask);
    }
    for (Edge edge : plan.edges()) {
      Vertex from = vertices.get(edge.from().vertex());
      Vertex to = vertices.get(edge.to().vertex());
      if (exchange.isRemote(edge)) {
        if (edge.codec() == null) {
          throw new IllegalArgumentException(
              "the edge "
                  + plan.describe(edge)
                  + " crosses processes but has no codec for its elements");
        }
        int[] ids = new int[to.parallelism()];
        Arrays.fill(ids, -1);
        for (int c = 0; c < to.parallelism(); c++) {
          if (exchange.runsHere(to.id(), c)) {
            List<ChannelTarget> consumer = channels.get(to.id()).get(c);
            ids[c] = consumer.size();
            consumer.add(
                new ChannelTarget(
                    edge.to().operator(), edge.to().port(), edge.codec(), from.id(), REMOTE));
          }
        }
        remoteChannels[edge.id()] = ids;
        continue;
      }
      int[][] ids = new int[from.parallelism()][to.parallelism()];
      for (int p = 0; p < from.parallelism(); p++) {
        Arrays.fill(ids[p], -1);
        for (int c = 0; c < to.parallelism(); c++) {
          if (edge.kind() == EdgeKind.FORWARD && p != c) {
            continue;
          }
          boolean producerHere = exchange.runsHere(from.id(), p);
          if (producerHere != exchange.runsHere(to.id(), c)) {
            throw new IllegalArgumentException(
                "the "
                    + edge.kind()
                    + " edge "
                    + plan.describe(edge)
                    + " joins subtask "
                    + p
                    + " and subtask "
                    + c
                    + ", placed in different processes, but is not remote");
          }
          if (!producerHere) {
            continue;
          }
          List<ChannelTarget> consumer = channels.get(to.id()).get(c);
          ids[p][c] = consumer.size();
          consumer.add(
              new ChannelTarget(
                  edge.to().operator(), edge.to().port(), edge.codec(), from.id(), p));
        }
      }
      channelIds[edge.id()] = ids;
    }
    for (Vertex v : vertices) {
      inboxes[v.id()] = new Inbox[v.parallelism()];
      for (int s = 0; s < v.parallelism(); s++) {
        if (!channels.get(v.id()).get(s).isEmpty()) {
          inboxes[v.id()][s] = new Inbox(settings.inboxCapacity(), this::wakeWorkers);
        }
      }
    }
    SubtaskServices services =
        new SubtaskServices(settings, this, quiescence, checkpoints, this::scheduler);
    List<Subtask> all = new ArrayList<>();
    Subtask[][] placed = new Subtask[vertices.size()][];
    for (Vertex v : vertices) {
      placed[v.id()] = new Subtask[v.parallelism()];
      for (int s = 0; s < v.parallelism(); s++) {
        if (!exchange.runsHere(v.id(), s)) {
          continue;
        }
        List<EdgeWriter> writers = new ArrayList<>();
        for (Edge edge : plan.edges()) {
          if (edge.from().vertex() != v.id()) {
            continue;
          }
          if (exchange.isRemote(edge)) {
            writers.add(new RemoteEdgeWriter(edge, exchange.outlet(edge, s, this::wakeWorkers)));
          } else {
            writers.add(
                new LocalEdgeWriter(
                    edge,
                    plan.describe(edge),
                    quiescence,
                    s,
                    inboxes[edge.to().vertex()],
                    channelIds[edge.id()][s],
                    settings.batchSize()));
          }
        }
        Subtask subtask =
            new Subtask(services, v, s, inboxes[v.id()][s], channels.get(v.id()).get(s), writers);
        placed[v.id()][s] = subtask;
        all.add(subtask);
      }
    }
    Subtask[] subtasks = all.toArray(new Subtask[0]);
    this.subtasks = subtasks;
    for (Subtask subtask : subtasks) {
      List<ChannelTarget> inbound = channels.get(subtask.vertexId()).get(subtask.index());
      PortWatermarks[] senders = new PortWatermarks[inbound.size()];
      for (int c = 0; c < senders.length; c++) {
        ChannelTarget channel = inbound.get(c);
        // A remote sender's watermarks are not known here.
        senders[c] =
            channel.fromSubtask() == REMOTE
                ? null
                : placed[channel.fromVertex()][channel.fromSubtask()].watermarks();
      }
      subtask.watermarks().linkSenders(senders);
    }
    for (Edge edge : plan.edges()) {
      int[] ids = remoteChannels[edge.id()];
      for (int c = 0; ids != null && c < ids.length; c++) {
        if (ids[c] >= 0) {
          exchange.bind(edge, c, new RemoteChannel(inboxes[edge.to().vertex()][c], ids[c]));
        }
      }
    }
    if (checkpoints != null) {
      checkpoints
          .latest(all.stream().map(Subtask::key).toList())
          .ifPresent(
              restore -> {
                for (Subtask subtask : all) {
                  subtask.restoreFrom(
                      restore.checkpointId(),
                      restore.directory().resolve(subtask.key()),
                      restore.snapshots().get(subtask.key()));
                }
              });
      checkpoints.start(subtasks.length, scheduler());
    }
    exchange.start(this::fail);
    if (subtasks.length == 0) {
      // Nothing of the job runs here (a share that finished before): the job has ended already.
      exchange.close(true);
    }
    int workerCount = Math.min(settings.workerThreads(), subtasks.length);
    for (int w = 0; w < workerCount; w++) {
      // Each worker starts its rounds at a different place, so they rarely meet.
      workers.add(new Worker(this, subtasks, w * subtasks.length / workerCount));
    }
    for (int w = 0; w < workerCount; w++) {
      Thread thread = new Thread(workers.get(w), "millrace-" + jobName + "-worker-" + w);
      thread.setDaemon(true);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
  }

  @Override
  public void checkRunning() throws InterruptedException {
    if (isStopping() || Thread.currentThread().isInterrupted()) {
      throw new InterruptedException("job " + jobName + " is stopping");
    }
  }

  @Override
  public boolean isStopping() {
    return cancelRequested || failure.get() != null;
  }

  /** Wakes every sleeping worker: something may have become runnable. */
  private void wakeWorkers() {
    for (Worker worker : workers) {
      worker.wake();
    }
  }

  @Override
  public int liveSubtaskCount() {
    return running.get();
  }

  /** The job's scheduler, started on first use and stopped when the job ends. */
  synchronized ScheduledExecutorService scheduler() {
    if (scheduler == null) {
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "millrace-" + jobName + "-scheduler");
                t.setDaemon(true);
                schedulerThread = t;
                return t;
              });
      executor.setRemoveOnCancelPolicy(true);
      executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      scheduler = executor;
    }
    return scheduler;
  }

  @Override
  public void subtaskEnded(Subtask subtask, Throwable error) {
    if (error != null && !cancelRequested && failure.compareAndSet(null, error)) {
      failedIn = subtask.describe();
      stopAll();
    }
    if (checkpoints != null && error == null) {
      try {
        checkpoints.subtaskFinished(subtask.key());
      } catch (RuntimeException | Error e) {
        fail(e);
      }
    }
    if (running.decrementAndGet() == 0) {
      stopScheduler(failure.get() == null && !cancelRequested);
      try {
        exchange.close(failure.get() == null && !cancelRequested);
      } catch (RuntimeException | Error e) {
        failure.compareAndSet(null, e);
      }
      JobStatus end =
          failure.get() != null
              ? JobStatus.FAILED
              : cancelRequested ? JobStatus.CANCELLED : JobStatus.DONE;
      if (checkpoints != null) {
        // A job that ended DONE has nothing to resume; a failed or cancelled one may be started
        // again.
        try {
          checkpoints.stop(end == JobStatus.DONE);
        } catch (RuntimeException | Error e) {
          failure.compareAndSet(null, e);
          end = JobStatus.FAILED;
        }
      }
      status = end;
    }
    ended.countDown();
    if (ended.getCount() == 0) {
      reportEnd();
    }
  }

  /** Calls {@code listener} once the job has ended, at once if it has. */
  public void onEnd(Consumer<JobExecution> listener) {
    synchronized (this) {
      endListener = listener;
    }
    if (ended.getCount() == 0) {
      reportEnd();
    }
  }

  private void reportEnd() {
    Consumer<JobExecution> listener;
    synchronized (this) {
      if (endReported || endListener == null) {
        return;
      }
      endReported = true;
      listener = endListener;
    }
    try {
      listener.accept(this);
    } catch (RuntimeException | Error e) {
      // The job has ended either way; whoever listens must not take a worker thread down with it.
      failure.compareAndSet(null, e);
    }
  }

  /**
   * Stops the job's scheduler. At a job's good end a task it is running (a checkpoint writing the
   * last snapshots) finishes first: interrupting it would close its files under it and fail a job
   * that had succeeded. Tasks not yet begun are dropped either way.
   */
  private void stopScheduler(boolean letRunningFinish) {
    ScheduledThreadPoolExecutor executor;
    synchronized (this) {
      executor = scheduler;
    }
    if (executor == null) {
      return;
    }
    if (!letRunningFinish || Thread.currentThread() == schedulerThread) {
      executor.shutdownNow();
      return;
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(SCHEDULER_END_WAIT_SECONDS, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void stopAll() {
    for (Thread t : threads) {
      if (t != Thread.currentThread()) {
        t.interrupt();
      }
    }
  }

  /**
   * Drains the job: sources stop reading and end their input, splittable DoFns truncate their
   * restrictions, and the job ends DONE once every watermark has reached the end, all windows
   * fired.
   */
  public void drain() {
    draining = true;
    wakeWorkers();
  }

  @Override
  public boolean isDraining() {
    return draining;
  }

  /** Stops every subtask; the job ends CANCELLED unless it already ended. */
  public void cancel() {
    if (!status.isTerminal()) {
      cancelRequested = true;
      stopAll();
    }
  }

  /**
   * Fails the job from outside its subtasks, when something it depends on has gone: every subtask
   * stops and the job ends FAILED with {@code cause}, unless it already failed, was cancelled or
   * ended.
   */
  @Override
  public void fail(Throwable cause) {
    if (!status.isTerminal() && !cancelRequested && failure.compareAndSet(null, cause)) {
      stopAll();
    }
  }

  /** Waits for the job to end; returns its status, RUNNING if the time ran out. */
  public JobStatus await(Duration timeout) throws InterruptedException {
    if (timeout == null) {
      ended.await();
    } else {
      ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    return status;
  }

  public JobStatus status() {
    return status;
  }

  /**
   * The vertex and subtask whose error failed the job ("v2 ParDo(Format) subtask 1"), or null when
   * it did not fail that way.
   */
  public String failedIn() {
    return failedIn;
  }

  /** The first error of any subtask, or null. */
  public Throwable failure() {
    return failure.get();
  }

  public Plan plan() {
    return plan;
  }

  /** The job's checkpoint coordinator, null unless the job checkpoints. */
  CheckpointCoordinator checkpoints() {
    return checkpoints;
  }

  /** Every subtask's latest figures, by vertex and subtask. */
  public List<SubtaskFigures> figures() {
    List<SubtaskFigures> all = new ArrayList<>();
    for (Subtask subtask : subtasks) {
      all.add(subtask.figures());
    }
    return all;
  }

  /** Whether the job takes checkpoints. */
  public boolean takesCheckpoints() {
    return checkpoints != null;
  }

  /** The latest checkpoints of this run, oldest first; empty without checkpoints. */
  public List<CheckpointRecord> checkpointHistory() {
    return checkpoints == null ? List.of() : checkpoints.history();
  }

  /** The id of the checkpoint this run resumed from, or 0. */
  public long restoredFromCheckpoint() {
    return checkpoints == null ? 0 : checkpoints.restoredFrom();
  }

  /**
   * Takes a checkpoint now; returns its id, or 0 when the job takes no checkpoints, one is being
   * taken, or the job is stopping.
   */
  public long checkpointNow() {
    return checkpoints == null || status.isTerminal() ? 0 : checkpoints.triggerNow();
  }

  /** Whether a completed checkpoint (of this run, or the one it resumed from) can be resumed. */
  public boolean hasCompletedCheckpoint() {
    return checkpoints != null && checkpoints.completed() > 0;
  }

  /** Checkpoints this run of the job completed. */
  public long completedCheckpoints() {
    return checkpoints == null ? 0 : checkpoints.completedCount();
  }

  /**
   * How long the last completed checkpoint took, from its start to its metadata; 0 before the
   * first.
   */
  public long lastCheckpointMillis() {
    return checkpoints == null ? 0 : checkpoints.lastDurationMillis();
  }
}
