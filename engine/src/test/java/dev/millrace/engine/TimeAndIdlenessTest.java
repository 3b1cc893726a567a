package dev.millrace.engine;

import static dev.millrace.engine.TestOperators.WAIT;
import static dev.millrace.engine.TestOperators.in;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine with time in it: sleeping while idle, deadlines, the manual clock, full outputs. */
@Timeout(60)
class TimeAndIdlenessTest {

  /** Never has anything; asks to be polled every {@code pollMillis}; ends when told. */
  static final class EmptyUnboundedSource implements SourceOperator {
    private final long pollMillis;
    private final AtomicInteger polls;
    private final AtomicInteger stopAfterPolls;
    private OperatorContext context;
    private long wakeUp;

    EmptyUnboundedSource(long pollMillis, AtomicInteger polls, AtomicInteger stopAfterPolls) {
      this.pollMillis = pollMillis;
      this.polls = polls;
      this.stopAfterPolls = stopAfterPolls;
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
    }

    @Override
    public Status emit(int maxElements) {
      wakeUp = System.currentTimeMillis() + pollMillis;
      return polls.incrementAndGet() >= stopAfterPolls.get() ? Status.DONE : Status.IDLE;
    }

    @Override
    public long wakeUpTime() {
      return wakeUp;
    }

    @Override
    public long outputWatermark() {
      return polls.get() >= stopAfterPolls.get() ? Watermarks.END : Watermarks.MIN;
    }
  }

  private static long cpuNanosOfThreads(String prefix) {
    ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(prefix)) {
        total += Math.max(0, bean.getThreadCpuTime(t.getId()));
      }
    }
    return total;
  }

  /** A job whose sources have nothing to read sleeps between polls instead of spinning. */
  @Test
  void anIdleJobSleepsBetweenPolls() throws Exception {
    AtomicInteger polls = new AtomicInteger();
    AtomicInteger stopAfter = new AtomicInteger(Integer.MAX_VALUE);
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 2);
    b.addOperator(
        source,
        new OperatorNode("empty", () -> new EmptyUnboundedSource(100, polls, stopAfter), 0, 1));
    int sink = b.newVertex("sink", 2);
    b.addOperator(
        sink, new OperatorNode("drop", () -> new TestOperators.Map(1, (ctx, port, e) -> {}), 1, 0));
    b.edge(in(source, 0, 0), in(sink, 0, 0), EdgeKind.HASH, e -> 0, 128);
    JobExecution job = JobExecution.start(b.build(), "idle", ExecutionSettings.defaults());
    Thread.sleep(300); // start-up and the spin before the first sleep
    long cpuBefore = cpuNanosOfThreads("millrace-idle-");
    int pollsBefore = polls.get();
    long start = System.nanoTime();
    Thread.sleep(1_000);
    long cpu = cpuNanosOfThreads("millrace-idle-") - cpuBefore;
    int pollsDuring = polls.get() - pollsBefore;
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
    System.out.println(
        "idle job: "
            + pollsDuring
            + " polls, worker CPU "
            + cpu / 1_000_000
            + " ms in "
            + elapsedMillis
            + " ms");
    stopAfter.set(0);
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    // Two source subtasks polling every 100 ms: about 20 polls a second, not thousands. The bounds
    // follow the time that really passed (a loaded machine oversleeps), with room for a late poll.
    assertThat(pollsDuring, lessThanOrEqualTo((int) (2 * elapsedMillis / 100) + 6));
    assertThat(pollsDuring, greaterThanOrEqualTo(2));
    // A spinning worker would use a whole core; an idle one under 5% of one, whatever the load.
    assertThat("worker CPU while idle, ns", cpu, lessThan(elapsedMillis * 1_000_000 / 20));
  }

  /** An operator's processing-time callback runs once its deadline has passed, not before. */
  @Test
  void processingTimeCallbacksRunAtTheirDeadline() throws Exception {
    List<Long> calls = new CopyOnWriteArrayList<>();
    AtomicLong deadline = new AtomicLong();
    AtomicInteger polls = new AtomicInteger();
    AtomicInteger stopAfter = new AtomicInteger(Integer.MAX_VALUE);
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(
        source,
        new OperatorNode("empty", () -> new EmptyUnboundedSource(10_000, polls, stopAfter), 0, 1));
    b.addOperator(
        source,
        new OperatorNode(
            "timer",
            () ->
                new TestOperators.Map(1, (ctx, port, e) -> {}) {
                  private OperatorContext context;

                  @Override
                  public void open(OperatorContext context) {
                    this.context = context;
                    deadline.set(context.currentProcessingTime() + 300);
                  }

                  @Override
                  public long nextProcessingTime() {
                    return calls.isEmpty() ? deadline.get() : NO_PROCESSING_TIME;
                  }

                  @Override
                  public void onProcessingTime(long now) {
                    calls.add(now);
                  }
                },
            1,
            0));
    b.link(in(source, 0, 0), in(source, 1, 0));
    JobExecution job = JobExecution.start(b.build(), "deadline", ExecutionSettings.defaults());
    assertThat(job.await(Duration.ofSeconds(2)), is(JobStatus.RUNNING));
    job.cancel();
    assertThat(job.await(WAIT), is(JobStatus.CANCELLED));
    assertThat(calls.size(), is(1));
    assertThat(calls.get(0), greaterThanOrEqualTo(deadline.get()));
  }

  /**
   * With a manual clock, a source that emits only when the job is quiescent sees every earlier
   * event fully processed downstream (a slow consumer too), and a clock advance reaches the
   * processing-time callbacks of other subtasks before its next event.
   */
  @Test
  void quiescentSourceWaitsForThePipelineAndTheClockReachesEveryone() throws Exception {
    int events = 20;
    AtomicInteger consumed = new AtomicInteger();
    AtomicLong timerFiredAtClock = new AtomicLong(Long.MIN_VALUE);
    List<String> violations = new CopyOnWriteArrayList<>();
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(
        source,
        new OperatorNode(
            "events",
            () ->
                new SourceOperator() {
                  private OperatorContext context;
                  private int next;

                  @Override
                  public void open(OperatorContext context) {
                    this.context = context;
                  }

                  @Override
                  public boolean emitsOnlyWhenQuiescent() {
                    return true;
                  }

                  @Override
                  public Status emit(int maxElements) throws Exception {
                    if (consumed.get() != next * 10) {
                      violations.add(
                          "event " + next + " emitted after only " + consumed.get() + " elements");
                    }
                    if (next == 10) {
                      // The callback below is due at clock 1000; it must run before event 11.
                      context.advanceProcessingTime(1_000);
                    } else if (next == 11 && timerFiredAtClock.get() != 1_000) {
                      violations.add("event 11 emitted before the processing-time callback ran");
                    }
                    for (int i = 0; i < 10; i++) {
                      context.output(0).emit((long) next);
                    }
                    next++;
                    return next == events ? Status.DONE : Status.ACTIVE;
                  }

                  @Override
                  public long outputWatermark() {
                    return next == events ? Watermarks.END : next;
                  }
                },
            0,
            1));
    int sink = b.newVertex("sink", 2);
    b.addOperator(
        sink,
        new OperatorNode(
            "slow",
            () ->
                new TestOperators.Map(
                    1,
                    (ctx, port, e) -> {
                      Thread.sleep(2);
                      consumed.incrementAndGet();
                    }) {
                  private boolean fired;

                  @Override
                  public long nextProcessingTime() {
                    return fired ? NO_PROCESSING_TIME : 1_000;
                  }

                  @Override
                  public void onProcessingTime(long now) throws Exception {
                    Thread.sleep(20);
                    fired = true;
                    timerFiredAtClock.accumulateAndGet(now, Math::max);
                  }
                },
            1,
            0));
    b.edge(in(source, 0, 0), in(sink, 0, 0), EdgeKind.REBALANCE, null, 128);
    ExecutionSettings settings = ExecutionSettings.defaults().withClock(JobClock.manual(0));
    JobExecution job = JobExecution.start(b.build(), "quiescent", settings);
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat(violations, is(empty()));
    assertThat(consumed.get(), is(events * 10));
    assertThat(timerFiredAtClock.get(), is(1_000L));
  }

  /**
   * An operator that emits a lot from one watermark stops while its output is full and goes on
   * later: what waits for room stays about one batch, however much it emits.
   */
  @Test
  void anOperatorStopsWhileItsOutputIsFullAndGoesOnLater() throws Exception {
    int burst = 50_000;
    AtomicLong emitted = new AtomicLong();
    AtomicLong consumed = new AtomicLong();
    AtomicLong maxInFlight = new AtomicLong();
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 1);
    b.addOperator(
        source, new OperatorNode("one", () -> new TestOperators.CountingSource(1, x -> {}), 0, 1));
    b.addOperator(
        source,
        new OperatorNode(
            "burst at the end",
            () ->
                new Operator() {
                  private OperatorContext context;
                  private long watermark = Watermarks.MIN;
                  private int left = -1;

                  @Override
                  public void open(OperatorContext context) {
                    this.context = context;
                  }

                  @Override
                  public void processElement(int port, Object element) {}

                  @Override
                  public void processWatermark(int port, long wm) throws Exception {
                    watermark = wm;
                    if (wm == Watermarks.END) {
                      left = burst;
                      continueWork();
                    }
                  }

                  @Override
                  public boolean hasPendingWork() {
                    return left > 0;
                  }

                  @Override
                  public void continueWork() throws Exception {
                    while (left > 0 && !context.isOutputBlocked()) {
                      emitted.incrementAndGet();
                      context.output(0).emit((long) left--);
                    }
                  }

                  @Override
                  public long outputWatermark() {
                    return left > 0 ? 0 : watermark;
                  }
                },
            1,
            1));
    b.link(in(source, 0, 0), in(source, 1, 0));
    int sink = b.newVertex("sink", 1);
    b.addOperator(
        sink,
        new OperatorNode(
            "slow",
            () ->
                new TestOperators.Map(
                    1,
                    (ctx, port, element) -> {
                      long c = consumed.incrementAndGet();
                      maxInFlight.accumulateAndGet(emitted.get() - c, Math::max);
                      if (c % 1000 == 0) {
                        Thread.sleep(1);
                      }
                    }),
            1,
            0));
    b.edge(in(source, 1, 0), in(sink, 0, 0), EdgeKind.FORWARD, null, 128);
    ExecutionSettings settings =
        ExecutionSettings.defaults().withInboxCapacity(4).withBatchSize(16);
    JobExecution job = JobExecution.start(b.build(), "burst", settings);
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat(consumed.get(), is((long) burst));
    // The inbox, a batch being consumed, one being filled, one waiting: not the whole burst.
    assertThat(maxInFlight.get(), lessThanOrEqualTo((4L + 3) * 16));
  }
}
