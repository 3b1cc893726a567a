package dev.millrace.runner.engine;

import dev.millrace.plan.Edge;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.Plan;
import dev.millrace.plan.Vertex;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One running job: its subtasks spread over a fixed pool of worker threads, bounded inboxes between
 * them. The first failure of any subtask stops every other subtask; the job ends once every
 * subtask has ended and every operator was closed.
 */
public final class JobExecution {
  /** Which operator input a channel of a subtask's inbox feeds. */
  record ChannelTarget(int operator, int port) {}

  private final Plan plan;
  private final String jobName;
  private final ExecutionSettings settings;
  private final List<Thread> threads = new ArrayList<>();
  private final CountDownLatch ended;
  private final AtomicInteger running;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean cancelRequested;
  private volatile JobStatus status = JobStatus.RUNNING;

  private JobExecution(Plan plan, String jobName, ExecutionSettings settings) {
    this.plan = plan;
    this.jobName = jobName;
    this.settings = settings;
    int subtasks = plan.vertices().stream().mapToInt(Vertex::parallelism).sum();
    this.ended = new CountDownLatch(subtasks);
    this.running = new AtomicInteger(subtasks);
  }

  /** Builds every subtask of the plan and starts their threads. */
  public static JobExecution start(Plan plan, String jobName, ExecutionSettings settings) {
    JobExecution job = new JobExecution(plan, jobName, settings);
    job.launch();
    return job;
  }

  private void launch() {
    List<Vertex> vertices = plan.vertices();
    Inbox[][] inboxes = new Inbox[vertices.size()][];
    // channels[v][s]: the channels of subtask s of vertex v, in the order their ids are given.
    List<List<List<ChannelTarget>>> channels = new ArrayList<>();
    // channelIds[edge][producer][consumer]
    int[][][] channelIds = new int[plan.edges().size()][][];
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
      int[][] ids = new int[from.parallelism()][to.parallelism()];
      for (int p = 0; p < from.parallelism(); p++) {
        Arrays.fill(ids[p], -1);
        for (int c = 0; c < to.parallelism(); c++) {
          if (edge.kind() == EdgeKind.FORWARD && p != c) {
            continue;
          }
          List<ChannelTarget> consumer = channels.get(to.id()).get(c);
          ids[p][c] = consumer.size();
          consumer.add(new ChannelTarget(edge.to().operator(), edge.to().port()));
        }
      }
      channelIds[edge.id()] = ids;
    }
    for (Vertex v : vertices) {
      inboxes[v.id()] = new Inbox[v.parallelism()];
      for (int s = 0; s < v.parallelism(); s++) {
        if (!channels.get(v.id()).get(s).isEmpty()) {
          inboxes[v.id()][s] = new Inbox(settings.inboxCapacity());
        }
      }
    }
    int workerCount = Math.min(settings.workerThreads(), plan.vertices().stream().mapToInt(Vertex::parallelism).sum());
    List<Worker> workers = new ArrayList<>();
    for (int w = 0; w < workerCount; w++) {
      workers.add(new Worker(this));
    }
    int next = 0;
    for (Vertex v : vertices) {
      for (int s = 0; s < v.parallelism(); s++) {
        List<EdgeWriter> writers = new ArrayList<>();
        for (Edge edge : plan.edges()) {
          if (edge.from().vertex() == v.id()) {
            writers.add(
                new EdgeWriter(
                    edge,
                    s,
                    inboxes[edge.to().vertex()],
                    channelIds[edge.id()][s],
                    settings.batchSize()));
          }
        }
        Subtask subtask =
            new Subtask(this, v, s, inboxes[v.id()][s], channels.get(v.id()).get(s), writers);
        workers.get(next++ % workerCount).assign(subtask);
      }
    }
    for (int w = 0; w < workerCount; w++) {
      Thread thread = new Thread(workers.get(w), "millrace-" + jobName + "-worker-" + w);
      thread.setDaemon(true);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
  }

  ExecutionSettings settings() {
    return settings;
  }

  long now() {
    return settings.clock().getAsLong();
  }

  /** Throws if the job is stopping, so a subtask leaves its loop. */
  void checkRunning() throws InterruptedException {
    if (cancelRequested || failure.get() != null || Thread.currentThread().isInterrupted()) {
      throw new InterruptedException("job " + jobName + " is stopping");
    }
  }

  void subtaskEnded(Subtask subtask, Throwable error) {
    if (error != null && !cancelRequested && failure.compareAndSet(null, error)) {
      stopAll();
    }
    if (running.decrementAndGet() == 0) {
      if (failure.get() != null) {
        status = JobStatus.FAILED;
      } else if (cancelRequested) {
        status = JobStatus.CANCELLED;
      } else {
        status = JobStatus.DONE;
      }
    }
    ended.countDown();
  }

  private void stopAll() {
    for (Thread t : threads) {
      if (t != Thread.currentThread()) {
        t.interrupt();
      }
    }
  }

  /** Stops every subtask; the job ends CANCELLED unless it already ended. */
  public void cancel() {
    if (!status.isTerminal()) {
      cancelRequested = true;
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

  /** The first error of any subtask, or null. */
  public Throwable failure() {
    return failure.get();
  }

  public Plan plan() {
    return plan;
  }
}
