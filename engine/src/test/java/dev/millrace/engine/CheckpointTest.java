package dev.millrace.engine;

import static dev.millrace.engine.TestOperators.WAIT;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.engine.checkpoint.CheckpointSettings;
import dev.millrace.engine.testing.Await;
import dev.millrace.plan.Edge;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.PortRef;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Aligned checkpoints of the engine, and jobs that resume from them. */
@Timeout(60)
class CheckpointTest {
  private static final long KEYS = 10;

  /** Counted as fast as the job goes; other counts pause at every emit. */
  private static final long FAST = 200_000;

  @TempDir Path checkpoints;

  /** Per key: what the uninterrupted job's sinks end with. */
  private static Map<Long, Long> expectedSums(long n) {
    Map<Long, Long> sums = new HashMap<>();
    for (long x = 0; x < n; x++) {
      sums.merge(x % KEYS, x, Long::sum);
    }
    return sums;
  }

  @Test
  void aJobStoppedAfterACheckpointResumesFromItAndEndsAsIfNeverStopped() throws Exception {
    long n = 20_000;
    Map<Long, Long> sink = new ConcurrentHashMap<>();
    AtomicLong emitted = new AtomicLong();
    JobExecution first = JobExecution.start(plan(n, emitted, sink), "resumed", settings());
    Await.until(
        () -> first.completedCheckpoints() >= 3 || first.status().isTerminal(),
        WAIT,
        "3 checkpoints completed");
    first.cancel();
    assertThat(first.await(WAIT), is(JobStatus.CANCELLED));
    assertThat("the first run was stopped before its end", emitted.get(), lessThan(n));
    assertThat(sink.isEmpty(), is(true));

    AtomicLong emittedAgain = new AtomicLong();
    JobExecution second = JobExecution.start(plan(n, emittedAgain, sink), "resumed", settings());
    assertThat(second.await(WAIT), is(JobStatus.DONE));
    assertThat(sink, equalTo(expectedSums(n)));
    assertThat(
        "the second run resumed where a checkpoint was taken", emittedAgain.get(), lessThan(n));
    assertThat("a job that ended has nothing to resume", Files.exists(checkpoints), is(false));
  }

  @Test
  void aShareResumesACheckpointItsTransportKeptWhenItsDiskLostItAndNumbersOnAboveIt()
      throws Exception {
    long n = 20_000;
    Map<Long, Long> sink = new ConcurrentHashMap<>();
    Path remote = checkpoints.resolve("remote");
    KeepingTransport transport = new KeepingTransport(remote);
    ExecutionSettings first = settings(new CheckpointSettings(10, checkpoints.resolve("a"), 2, 0));
    AtomicLong emitted = new AtomicLong();
    JobExecution one = JobExecution.start(plan(n, emitted, sink), "moved", first, transport);
    Await.until(
        () -> one.completedCheckpoints() >= 3 || one.status().isTerminal(),
        WAIT,
        "3 checkpoints completed");
    one.cancel();
    assertThat(one.await(WAIT), is(JobStatus.CANCELLED));
    long durable = transport.checkpointToResume();
    assertThat(durable > 0, is(true));

    // Another disk: nothing of the first run's checkpoints is there.
    ExecutionSettings second = settings(new CheckpointSettings(10, checkpoints.resolve("b"), 2, 0));
    AtomicLong emittedAgain = new AtomicLong();
    transport.completedAfterResume.clear();
    JobExecution two = JobExecution.start(plan(n, emittedAgain, sink), "moved", second, transport);
    assertThat(String.valueOf(two.failure()), two.await(WAIT), is(JobStatus.DONE));
    assertThat(sink, equalTo(expectedSums(n)));
    assertThat("it resumed the fetched checkpoint", transport.resumed, is(durable));
    assertThat("and went on from there", emittedAgain.get(), lessThan(n));
    assertThat(
        "checkpoints after it are numbered above it, not from 1 again",
        transport.completedAfterResume.stream().allMatch(id -> id > durable),
        is(true));
  }

  /**
   * A transport with nothing remote that keeps each completed checkpoint's files, as a broker
   * would, and gives them back to a process that does not have them.
   */
  private static final class KeepingTransport implements RemoteExchange {
    private final Path kept;
    private volatile long durable;
    private volatile long resumed;
    final java.util.List<Long> completedAfterResume =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    KeepingTransport(Path kept) {
      this.kept = kept;
    }

    @Override
    public boolean runsHere(int vertex, int subtask) {
      return true;
    }

    @Override
    public boolean isRemote(Edge edge) {
      return false;
    }

    @Override
    public RemoteOutlet outlet(Edge edge, int producerSubtask, Runnable wakeWorkers) {
      throw new IllegalStateException("no edge is remote");
    }

    @Override
    public void bind(Edge edge, int consumerSubtask, RemoteInlet inlet) {
      throw new IllegalStateException("no edge is remote");
    }

    @Override
    public long checkpointToResume() {
      return durable;
    }

    @Override
    public void checkpointCompleted(long id, Path directory) {
      try {
        copy(directory, kept.resolve("chk-" + id));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      durable = id;
      completedAfterResume.add(id);
    }

    @Override
    public boolean fetchCheckpoint(long id, Path directory) {
      try {
        copy(kept.resolve("chk-" + id), directory);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return true;
    }

    @Override
    public void resumed(long id, Path directory) {
      resumed = id;
    }

    private static void copy(Path from, Path to) throws IOException {
      try (Stream<Path> files = Files.walk(from)) {
        for (Path file : files.toList()) {
          Path target = to.resolve(from.relativize(file).toString());
          if (Files.isDirectory(file)) {
            Files.createDirectories(target);
          } else {
            Files.copy(file, target);
          }
        }
      }
    }
  }

  @Test
  void aJobThatEndsWhileACheckpointIsBeingWrittenEndsDone() throws Exception {
    // A checkpoint every millisecond: the last subtask often ends while one writes the snapshots
    // of subtasks that ended before it. Stopping the scheduler then must not fail that checkpoint.
    ExecutionSettings constantly = settings(new CheckpointSettings(1, checkpoints, 2, 0));
    for (int run = 0; run < 15; run++) {
      Map<Long, Long> sink = new ConcurrentHashMap<>();
      JobExecution job =
          JobExecution.start(plan(2_000, new AtomicLong(), sink), "ends-" + run, constantly);
      JobStatus end = job.await(WAIT);
      assertThat("run " + run + ": " + job.failure(), end, is(JobStatus.DONE));
      assertThat(sink, equalTo(expectedSums(2_000)));
    }
  }

  @Test
  void aCheckpointThatNeverCompletedIsNotUsed() throws Exception {
    long n = 20_000;
    Map<Long, Long> sink = new ConcurrentHashMap<>();
    JobExecution first = JobExecution.start(plan(n, new AtomicLong(), sink), "half", settings());
    Await.until(
        () -> first.completedCheckpoints() >= 2 || first.status().isTerminal(),
        WAIT,
        "2 checkpoints completed");
    first.cancel();
    assertThat(first.await(WAIT), is(JobStatus.CANCELLED));
    // A later checkpoint the process died in the middle of: a subtask's files, no metadata.
    Path torn = checkpoints.resolve("chk-999999").resolve("v0-s0");
    Files.createDirectories(torn);
    Files.write(torn.resolve(SubtaskSnapshot.FILE), new byte[] {1, 2, 3});

    JobExecution second = JobExecution.start(plan(n, new AtomicLong(), sink), "half", settings());
    assertThat(String.valueOf(second.failure()), second.await(WAIT), is(JobStatus.DONE));
    assertThat(sink, equalTo(expectedSums(n)));
  }

  @Test
  void onlyTheLatestCompletedCheckpointsAreKept() throws Exception {
    JobExecution job =
        JobExecution.start(
            plan(Long.MAX_VALUE, new AtomicLong(), new ConcurrentHashMap<>()), "kept", settings());
    Await.until(() -> job.completedCheckpoints() >= 6, WAIT, "6 checkpoints completed");
    job.cancel();
    assertThat(job.await(WAIT), is(JobStatus.CANCELLED));
    long completed;
    try (Stream<Path> all = Files.list(checkpoints)) {
      completed = all.filter(dir -> Files.exists(dir.resolve("_metadata"))).count();
    }
    assertThat(completed, is(2L));
  }

  @Test
  void anotherPlanCannotResumeFromACheckpoint() throws Exception {
    JobExecution first =
        JobExecution.start(
            plan(Long.MAX_VALUE, new AtomicLong(), new ConcurrentHashMap<>()), "other", settings());
    Await.until(() -> first.completedCheckpoints() >= 1, WAIT, "a checkpoint completed");
    first.cancel();
    first.await(WAIT);
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("another source", 1);
    b.addOperator(
        source, new OperatorNode("count", () -> new Counting(10, new AtomicLong()), 0, 1));
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class, () -> JobExecution.start(b.build(), "other", settings()));
    assertThat(refused.getMessage(), containsString("was taken by another pipeline"));
  }

  @Test
  void anOperatorThatCannotBeCheckpointedFailsTheJobNamingIt() throws Exception {
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(
        source, new OperatorNode("count", () -> new Counting(1000, new AtomicLong()), 0, 1));
    b.addOperator(source, new OperatorNode("forgetful", TestOperators::forward, 1, 1));
    b.link(new PortRef(source, 0, 0), new PortRef(source, 1, 0));
    JobExecution job = JobExecution.start(b.build(), "forgetful", settings());
    assertThat(job.await(WAIT), is(JobStatus.FAILED));
    assertThat(
        job.failure().getMessage(), containsString("cannot checkpoint these steps yet: forgetful"));
  }

  @Test
  void checkpointsTakeTurnsWithWorkOnAKeyedExchange() throws Exception {
    long n = FAST;
    Map<Long, Long> sink = new ConcurrentHashMap<>();
    JobExecution job = JobExecution.start(plan(n, new AtomicLong(), sink), "busy", settings());
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat(job.completedCheckpoints(), greaterThan(0L));
    assertThat(sink, equalTo(expectedSums(n)));
  }

  @Test
  void aFailedJobRestartsFromItsLatestCheckpointAndEndsAsIfItNeverFailed() throws Exception {
    long n = 20_000;
    Map<Long, Long> sink = new ConcurrentHashMap<>();
    AtomicLong emitted = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    RestartingJob job =
        RestartingJob.start(plan(n, emitted, sink, 15_000, failures, 1), "restarted", settings(3));
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat(sink, equalTo(expectedSums(n)));
    assertThat(job.restarts(), is(1));
    assertThat(
        "the second attempt resumed from a checkpoint, not from the start",
        emitted.get(),
        lessThan(n + 15_000));
  }

  @Test
  void aJobThatKeepsFailingFailsWithItsErrorOnceItsRestartsAreUsedUp() throws Exception {
    AtomicLong failures = new AtomicLong();
    RestartingJob job =
        RestartingJob.start(
            plan(
                20_000,
                new AtomicLong(),
                new ConcurrentHashMap<>(),
                5000,
                failures,
                Long.MAX_VALUE),
            "doomed",
            settings(2));
    assertThat(job.await(WAIT), is(JobStatus.FAILED));
    assertThat(job.restarts(), is(2));
    assertThat(failures.get(), is(3L));
    assertThat(job.failure().getMessage(), containsString("element 5000 failed"));
  }

  @Test
  void aFailureBeforeTheFirstCheckpointIsFinal() throws Exception {
    AtomicLong failures = new AtomicLong();
    ExecutionSettings rarely = settings(new CheckpointSettings(60_000, checkpoints, 2, 3));
    RestartingJob job =
        RestartingJob.start(
            plan(
                20_000, new AtomicLong(), new ConcurrentHashMap<>(), 100, failures, Long.MAX_VALUE),
            "early",
            rarely);
    assertThat(job.await(WAIT), is(JobStatus.FAILED));
    assertThat(job.restarts(), is(0));
    assertThat(failures.get(), is(1L));
    assertThat("nothing to resume is left behind", Files.exists(checkpoints), is(false));
  }

  @Test
  void withoutCheckpointsAFailureIsFinal() throws Exception {
    AtomicLong failures = new AtomicLong();
    ExecutionSettings noCheckpoints = settings(new CheckpointSettings(0, null, 0, 3));
    RestartingJob job =
        RestartingJob.start(
            plan(
                20_000, new AtomicLong(), new ConcurrentHashMap<>(), 100, failures, Long.MAX_VALUE),
            "final",
            noCheckpoints);
    assertThat(job.await(WAIT), is(JobStatus.FAILED));
    assertThat(job.restarts(), is(0));
    assertThat(failures.get(), is(1L));
  }

  /** Small bundles and batches, two workers, a checkpoint every 10 ms; no restarts. */
  private ExecutionSettings settings() {
    return settings(0);
  }

  private ExecutionSettings settings(int maxRestarts) {
    return settings(new CheckpointSettings(10, checkpoints, 2, maxRestarts));
  }

  private static ExecutionSettings settings(CheckpointSettings checkpointing) {
    return new ExecutionSettings(100, 20, 64, 8, 2, JobClock.system())
        .withCheckpoints(checkpointing);
  }

  private static Plan plan(long n, AtomicLong emitted, Map<Long, Long> sink) {
    return plan(n, emitted, sink, -1, new AtomicLong(), 0);
  }

  /**
   * source(1) -HASH by x % KEYS-> keyed sums(2) -FORWARD-> sink(2). The sums fail at element {@code
   * failAt} as long as fewer than {@code maxFailures} failures were counted.
   */
  private static Plan plan(
      long n,
      AtomicLong emitted,
      Map<Long, Long> sink,
      long failAt,
      AtomicLong failures,
      long maxFailures) {
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(source, new OperatorNode("count", () -> new Counting(n, emitted), 0, 1));
    int sums = b.newVertex("sums", 2);
    b.addOperator(
        sums, new OperatorNode("sum", () -> new KeyedSums(failAt, failures, maxFailures), 1, 1));
    b.addOperator(sums, new OperatorNode("sink", () -> new Sink(sink), 1, 0));
    b.link(new PortRef(sums, 0, 0), new PortRef(sums, 1, 0));
    b.edge(
        new PortRef(source, 0, 0),
        new PortRef(sums, 0, 0),
        EdgeKind.HASH,
        element -> (int) ((Long) element % KEYS),
        128);
    return b.build();
  }

  /** Counts 0, 1, ... below {@code n}, a few at a time; its position is its state. */
  private static final class Counting implements SourceOperator {
    private final long n;
    private final AtomicLong emitted;
    private OperatorContext context;
    private long next;

    Counting(long n, AtomicLong emitted) {
      this.n = n;
      this.emitted = emitted;
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
    }

    @Override
    public Status emit(int maxElements) throws Exception {
      if (n != FAST) {
        // Slow enough that several checkpoints complete before the end.
        Thread.sleep(1);
      }
      for (int i = 0; i < Math.min(maxElements, 20) && next < n; i++) {
        context.output(0).emit(next++);
        emitted.incrementAndGet();
      }
      return next >= n ? Status.DONE : Status.ACTIVE;
    }

    @Override
    public long outputWatermark() {
      return next >= n ? Watermarks.END : next - 1;
    }

    @Override
    public boolean isCheckpointable() {
      return true;
    }

    @Override
    public void snapshotState(SnapshotWriter out) throws Exception {
      out.data().writeLong(next);
    }

    @Override
    public void restoreState(SnapshotReader in) throws Exception {
      next = in.data().readLong();
    }
  }

  /** Sums elements per key (x % KEYS) on the heap; emits every key's sum once its input ended. */
  private static final class KeyedSums implements Operator {
    private final long failAt;
    private final AtomicLong failures;
    private final long maxFailures;
    private final Map<Long, Long> sums = new HashMap<>();
    private OperatorContext context;
    private long watermark = Watermarks.MIN;

    KeyedSums(long failAt, AtomicLong failures, long maxFailures) {
      this.failAt = failAt;
      this.failures = failures;
      this.maxFailures = maxFailures;
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
    }

    @Override
    public void processElement(int port, Object element) {
      long x = (Long) element;
      if (x == failAt && failures.get() < maxFailures) {
        failures.incrementAndGet();
        throw new IllegalStateException("element " + x + " failed");
      }
      sums.merge(x % KEYS, x, Long::sum);
    }

    @Override
    public void processWatermark(int port, long wm) throws Exception {
      if (wm == Watermarks.END) {
        for (Map.Entry<Long, Long> sum : sums.entrySet()) {
          context.output(0).emit(new long[] {sum.getKey(), sum.getValue()});
        }
      }
      watermark = wm;
    }

    @Override
    public long outputWatermark() {
      return watermark;
    }

    @Override
    public boolean isCheckpointable() {
      return true;
    }

    @Override
    public void snapshotState(SnapshotWriter out) throws Exception {
      out.data().writeLong(watermark);
      out.data().writeInt(sums.size());
      for (Map.Entry<Long, Long> sum : sums.entrySet()) {
        out.data().writeLong(sum.getKey());
        out.data().writeLong(sum.getValue());
      }
    }

    @Override
    public void restoreState(SnapshotReader in) throws Exception {
      DataInputStream data = in.data();
      watermark = data.readLong();
      int size = data.readInt();
      for (int i = 0; i < size; i++) {
        sums.put(data.readLong(), data.readLong());
      }
    }
  }

  /** Keeps each key's result (a second delivery overwrites the first: an idempotent sink). */
  private static final class Sink implements Operator {
    private final Map<Long, Long> results;
    private long watermark = Watermarks.MIN;

    Sink(Map<Long, Long> results) {
      this.results = results;
    }

    @Override
    public void open(OperatorContext context) {}

    @Override
    public void processElement(int port, Object element) {
      long[] result = (long[]) element;
      results.put(result[0], result[1]);
    }

    @Override
    public void processWatermark(int port, long wm) {
      watermark = wm;
    }

    @Override
    public long outputWatermark() {
      return watermark;
    }

    @Override
    public boolean isCheckpointable() {
      return true;
    }
  }
}
