package dev.millrace.engine;

import static dev.millrace.engine.TestOperators.WAIT;
import static dev.millrace.engine.TestOperators.in;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.sameInstance;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.OperatorFactory;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.Watermarks;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EngineTest {

  /**
   * Source -> (fast branch, slow branch) -> union -> sink. The union's watermark on each port may
   * only pass t once every element below t arrived on that port, and its output watermark is the
   * minimum of both, so the slow branch holds the sink back.
   */
  @Test
  void watermarkFollowsTheSlowestBranchOfADiamond() throws Exception {
    int n = 5_000;
    List<String> violations = new CopyOnWriteArrayList<>();
    List<Long> sinkWatermarks = new CopyOnWriteArrayList<>();
    AtomicInteger sinkElements = new AtomicInteger();
    int[][] received = new int[1][2];

    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(
        source,
        new OperatorNode("count", () -> new TestOperators.CountingSource(n, x -> {}), 0, 1));
    int fast = b.newVertex("fast", 1);
    b.addOperator(fast, new OperatorNode("fast", TestOperators::forward, 1, 1));
    int slow = b.newVertex("slow", 1);
    b.addOperator(
        slow,
        new OperatorNode(
            "slow",
            () ->
                new TestOperators.Map(
                    1,
                    (ctx, port, element) -> {
                      if ((Long) element % 500 == 0) {
                        Thread.sleep(20);
                      }
                      ctx.output(0).emit(element);
                    }),
            1,
            1));
    int union = b.newVertex("union", 1);
    b.addOperator(
        union,
        new OperatorNode(
            "union",
            () ->
                new TestOperators.Map(
                    2,
                    (ctx, port, element) -> {
                      received[0][port]++;
                      ctx.output(0).emit(element);
                    }) {
                  @Override
                  public void processWatermark(int port, long watermark) throws Exception {
                    long expected = watermark == Watermarks.END ? n : watermark;
                    // Elements arrive in order per port: below the watermark means all of 0..wm-1.
                    if (received[0][port] < expected) {
                      violations.add(
                          "port " + port + " at " + watermark + " had only " + received[0][port]);
                    }
                    super.processWatermark(port, watermark);
                  }
                },
            2,
            1));
    int sink = b.newVertex("sink", 1);
    b.addOperator(
        sink,
        new OperatorNode(
            "sink",
            () ->
                new TestOperators.Map(1, (ctx, port, element) -> sinkElements.incrementAndGet()) {
                  @Override
                  public void processWatermark(int port, long watermark) throws Exception {
                    long expected = watermark == Watermarks.END ? n : watermark;
                    if (sinkElements.get() < 2 * expected) {
                      violations.add("sink at " + watermark + " had only " + sinkElements.get());
                    }
                    sinkWatermarks.add(watermark);
                    super.processWatermark(port, watermark);
                  }
                },
            1,
            0));
    b.edge(in(source, 0, 0), in(fast, 0, 0), EdgeKind.FORWARD, null, 128);
    b.edge(in(source, 0, 0), in(slow, 0, 0), EdgeKind.FORWARD, null, 128);
    b.edge(in(fast, 0, 0), in(union, 0, 0), EdgeKind.FORWARD, null, 128);
    b.edge(in(slow, 0, 0), in(union, 0, 1), EdgeKind.FORWARD, null, 128);
    b.edge(in(union, 0, 0), in(sink, 0, 0), EdgeKind.FORWARD, null, 128);

    JobExecution job = JobExecution.start(b.build(), "diamond", ExecutionSettings.defaults());
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat(violations, is(empty()));
    assertThat(sinkElements.get(), is(2 * n));
    List<Long> sorted = new ArrayList<>(sinkWatermarks);
    Collections.sort(sorted);
    assertThat("watermarks only advance", sinkWatermarks, equalTo(sorted));
    assertThat(sinkWatermarks.get(sinkWatermarks.size() - 1), is(Watermarks.END));
  }

  /**
   * Each subtask ends, and its operators close, exactly once: a worker that looked at a subtask
   * just before another ended it must not step it again. Before, such a second step ended the
   * subtask twice, counted it twice, and a job could report its end while others still ran.
   */
  @Test
  void everySubtaskEndsOnceAndTheJobEndsDone() throws Exception {
    for (int run = 0; run < 1000; run++) {
      AtomicInteger closed = new AtomicInteger();
      PlanBuilder b = new PlanBuilder();
      int previous = -1;
      for (int v = 0; v < 4; v++) {
        int vertex = b.newVertex("v" + v, 2);
        OperatorFactory factory =
            v == 0
                ? () ->
                    new TestOperators.CountingSource(10, 2, x -> {}) {
                      @Override
                      public void close() {
                        closed.incrementAndGet();
                      }
                    }
                : () ->
                    new TestOperators.Map(1, (ctx, port, e) -> ctx.output(0).emit(e)) {
                      @Override
                      public void close() {
                        closed.incrementAndGet();
                      }
                    };
        b.addOperator(vertex, new OperatorNode("op" + v, factory, v == 0 ? 0 : 1, 1));
        if (previous >= 0) {
          b.edge(in(previous, 0, 0), in(vertex, 0, 0), EdgeKind.REBALANCE, null, 128);
        }
        previous = vertex;
      }
      JobExecution job = JobExecution.start(b.build(), "once", ExecutionSettings.defaults());
      assertThat("run " + run, job.await(WAIT), is(JobStatus.DONE));
      assertThat("run " + run, closed.get(), is(8));
    }
  }

  /** A slow consumer slows the source down: what is in flight stays within the queue bounds. */
  @Test
  void slowConsumerBoundsElementsInFlight() throws Exception {
    ExecutionSettings settings =
        ExecutionSettings.defaults().withInboxCapacity(4).withBatchSize(16);
    AtomicLong emitted = new AtomicLong();
    AtomicLong consumed = new AtomicLong();
    AtomicLong maxInFlight = new AtomicLong();
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(
        source,
        new OperatorNode(
            "count",
            () -> new TestOperators.CountingSource(20_000, x -> emitted.incrementAndGet()),
            0,
            1));
    int sink = b.newVertex("sink", 1);
    b.addOperator(
        sink,
        new OperatorNode(
            "slow sink",
            () ->
                new TestOperators.Map(
                    1,
                    (ctx, port, element) -> {
                      long c = consumed.incrementAndGet();
                      maxInFlight.accumulateAndGet(emitted.get() - c, Math::max);
                      if (c % 100 == 0) {
                        Thread.sleep(1);
                      }
                    }),
            1,
            0));
    b.edge(in(source, 0, 0), in(sink, 0, 0), EdgeKind.FORWARD, null, 128);
    JobExecution job = JobExecution.start(b.build(), "backpressure", settings);
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat(consumed.get(), is(20_000L));
    // Inbox of 4 batches of 16, one batch being filled, one being consumed, one blocked in put.
    long bound = (4L + 3) * 16;
    assertThat(maxInFlight.get(), lessThanOrEqualTo(bound));
    assertThat(maxInFlight.get(), greaterThan(0L));
  }

  /** Subtasks own contiguous key-group ranges that cover every group exactly once. */
  @Test
  void keyGroupRangesCoverEveryGroupOnce() {
    for (int parallelism = 1; parallelism <= 7; parallelism++) {
      int last = 0;
      for (int g = 0; g < 128; g++) {
        int s = KeyGroups.subtaskOf(g, 128, parallelism);
        assertThat(s - last, lessThanOrEqualTo(1));
        assertThat(s >= last, is(true));
        if (s != last) {
          assertThat(KeyGroups.rangeStart(s, 128, parallelism), is(g));
        }
        last = s;
      }
      assertThat(last, is(parallelism - 1));
    }
  }

  /** A HASH edge sends every key to the one subtask that owns the key's group. */
  @Test
  void hashEdgeRoutesEachKeyToItsOwner() throws Exception {
    int parallelism = 3;
    Map<Long, Set<Integer>> seenAt = new ConcurrentHashMap<>();
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 2);
    b.addOperator(
        source,
        new OperatorNode(
            "count", () -> new TestOperators.CountingSource(10_000, 2, x -> {}), 0, 1));
    int sink = b.newVertex("sink", parallelism);
    b.addOperator(
        sink,
        new OperatorNode(
            "record",
            () ->
                new TestOperators.Map(
                    1,
                    (ctx, port, element) ->
                        seenAt
                            .computeIfAbsent(
                                (Long) element % 100, k -> ConcurrentHashMap.newKeySet())
                            .add(ctx.subtaskIndex())),
            1,
            0));
    b.edge(
        in(source, 0, 0),
        in(sink, 0, 0),
        EdgeKind.HASH,
        element ->
            KeyGroups.keyGroupOf(ByteBuffer.allocate(8).putLong((Long) element % 100).array(), 128),
        128);
    JobExecution job = JobExecution.start(b.build(), "hash", ExecutionSettings.defaults());
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat(seenAt.size(), is(100));
    for (Map.Entry<Long, Set<Integer>> e : seenAt.entrySet()) {
      int group = KeyGroups.keyGroupOf(ByteBuffer.allocate(8).putLong(e.getKey()).array(), 128);
      assertThat(e.getValue(), contains(KeyGroups.subtaskOf(group, 128, parallelism)));
    }
  }

  /** The first failure stops every subtask, closes every operator, and is the job's failure. */
  @Test
  void failureStopsAllSubtasksAndClosesOperators() throws Exception {
    RuntimeException boom = new IllegalStateException("boom at 5000");
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 2);
    b.addOperator(
        source,
        new OperatorNode(
            "count", () -> new TestOperators.CountingSource(Long.MAX_VALUE, 2, x -> {}), 0, 1));
    int failing = b.newVertex("failing", 2);
    b.addOperator(
        failing,
        new OperatorNode(
            "fail",
            () ->
                new TestOperators.Map(
                    1,
                    (ctx, port, element) -> {
                      if ((Long) element == 5000) {
                        throw boom;
                      }
                    }) {
                  @Override
                  public void open(dev.millrace.plan.OperatorContext context) {
                    opened.incrementAndGet();
                    super.open(context);
                  }

                  @Override
                  public void close() {
                    closed.incrementAndGet();
                  }
                },
            1,
            0));
    b.edge(in(source, 0, 0), in(failing, 0, 0), EdgeKind.REBALANCE, null, 128);
    Plan plan = b.build();
    JobExecution job = JobExecution.start(plan, "failing", ExecutionSettings.defaults());
    assertThat(job.await(WAIT), is(JobStatus.FAILED));
    assertThat(job.failure(), sameInstance(boom));
    assertThat(closed.get(), is(opened.get()));
    assertThat(opened.get(), is(2));
    assertThat(liveThreads("millrace-failing-"), is(empty()));
  }

  /** Cancel stops an endless job; nothing is left running. */
  @Test
  void cancelStopsAnEndlessJob() throws Exception {
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 2);
    b.addOperator(
        source,
        new OperatorNode(
            "count", () -> new TestOperators.CountingSource(Long.MAX_VALUE, 2, x -> {}), 0, 1));
    int sink = b.newVertex("sink", 2);
    b.addOperator(
        sink, new OperatorNode("drop", () -> new TestOperators.Map(1, (ctx, port, e) -> {}), 1, 0));
    b.edge(in(source, 0, 0), in(sink, 0, 0), EdgeKind.FORWARD, null, 128);
    JobExecution job = JobExecution.start(b.build(), "endless", ExecutionSettings.defaults());
    assertThat(job.await(Duration.ofMillis(200)), is(JobStatus.RUNNING));
    job.cancel();
    assertThat(job.await(WAIT), is(JobStatus.CANCELLED));
    assertThat(job.failure(), is((Throwable) null));
    assertThat(liveThreads("millrace-endless-"), is(empty()));
  }

  /** A job failed from outside (a resource it needs has gone) stops and reports that cause. */
  @Test
  void failFromOutsideStopsAnEndlessJobWithItsCause() throws Exception {
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 2);
    b.addOperator(
        source,
        new OperatorNode(
            "count", () -> new TestOperators.CountingSource(Long.MAX_VALUE, 2, x -> {}), 0, 1));
    int sink = b.newVertex("sink", 2);
    b.addOperator(
        sink, new OperatorNode("drop", () -> new TestOperators.Map(1, (ctx, port, e) -> {}), 1, 0));
    b.edge(in(source, 0, 0), in(sink, 0, 0), EdgeKind.FORWARD, null, 128);
    JobExecution job = JobExecution.start(b.build(), "gone", ExecutionSettings.defaults());
    assertThat(job.await(Duration.ofMillis(200)), is(JobStatus.RUNNING));
    IllegalStateException gone = new IllegalStateException("a harness went away");
    job.fail(gone);
    job.fail(new IllegalStateException("a later report of the same loss"));
    assertThat(job.await(WAIT), is(JobStatus.FAILED));
    assertThat(job.failure(), sameInstance(gone));
    assertThat(liveThreads("millrace-gone-"), is(empty()));
    job.fail(new IllegalStateException("after the end"));
    assertThat(job.failure(), sameInstance(gone));
  }

  /**
   * The contract says an operator with inputs keeps its output watermark at or below its inputs';
   * one that runs ahead fails the job with a message naming it, before anything downstream could
   * drop data as late.
   */
  @Test
  void anOperatorWhoseOutputWatermarkPassesItsInputFailsTheJob() throws Exception {
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(
        source,
        new OperatorNode(
            "count", () -> new TestOperators.CountingSource(Long.MAX_VALUE, x -> {}), 0, 1));
    b.addOperator(
        source,
        new OperatorNode(
            "ahead",
            () ->
                new TestOperators.Map(1, (ctx, port, e) -> {}) {
                  @Override
                  public long outputWatermark() {
                    long input = super.outputWatermark();
                    return input == Watermarks.MIN ? input : input + 1_000;
                  }
                },
            1,
            0));
    b.link(in(source, 0, 0), in(source, 1, 0));
    JobExecution job = JobExecution.start(b.build(), "ahead", ExecutionSettings.defaults());
    assertThat(job.await(WAIT), is(JobStatus.FAILED));
    assertThat(job.failure().getMessage(), containsString("ahead reported an output watermark of"));
  }

  private static List<String> liveThreads(String prefix) throws InterruptedException {
    List<String> live = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(prefix)) {
        t.join(5_000);
        if (t.isAlive()) {
          live.add(t.getName());
        }
      }
    }
    return live;
  }
}
