package dev.millrace.engine;

import static dev.millrace.engine.TestOperators.WAIT;
import static dev.millrace.engine.TestOperators.in;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Synchronized processing time waits for the end of input to reach every channel once it reached
 * one and the others are bound to follow, and does not wait for a channel that may never end.
 */
@Timeout(60)
class SynchronizedProcessingTimeTest {

  /** Source subtask 0 ends at once; subtask 1 ends once {@code endSecond} is set. */
  static final class EndingSource implements SourceOperator {
    private final AtomicBoolean endSecond;
    private OperatorContext context;
    private boolean done;
    private long wakeUp;

    EndingSource(AtomicBoolean endSecond) {
      this.endSecond = endSecond;
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
    }

    @Override
    public Status emit(int maxElements) {
      done = context.subtaskIndex() == 0 || endSecond.get();
      wakeUp = System.currentTimeMillis() + 10;
      return done ? Status.DONE : Status.IDLE;
    }

    @Override
    public long wakeUpTime() {
      return wakeUp;
    }

    @Override
    public long outputWatermark() {
      return done ? Watermarks.END : Watermarks.MIN;
    }
  }

  /** Reads synchronized processing time every 10 ms, and when its input ends. */
  static final class Probe extends TestOperators.Map {
    private final AtomicLong lastLag;
    private final AtomicLong lagAtEnd;
    private OperatorContext context;
    private long next;

    Probe(AtomicLong lastLag, AtomicLong lagAtEnd) {
      super(1, (ctx, port, e) -> {});
      this.lastLag = lastLag;
      this.lagAtEnd = lagAtEnd;
    }

    @Override
    public void open(OperatorContext context) {
      super.open(context);
      this.context = context;
      next = context.currentProcessingTime();
    }

    private long lag() {
      return context.currentProcessingTime() - context.currentSynchronizedProcessingTime();
    }

    @Override
    public long nextProcessingTime() {
      return next;
    }

    @Override
    public void onProcessingTime(long now) {
      lastLag.set(lag());
      next = now + 10;
    }

    @Override
    public void processWatermark(int port, long watermark) throws Exception {
      super.processWatermark(port, watermark);
      if (watermark == Watermarks.END) {
        lagAtEnd.set(lag());
        next = NO_PROCESSING_TIME;
      }
    }
  }

  /**
   * Relay subtask 1 is slow to pass the end on (its sources have ended, so it will): the probe,
   * which has the end from relay subtask 0, sees synchronized time stand still until it comes.
   */
  @Test
  void heldWhileTheEndIsStillOnItsWayOnAnotherChannel() throws Exception {
    CountDownLatch slowRelayEntered = new CountDownLatch(1);
    CountDownLatch releaseSlowRelay = new CountDownLatch(1);
    AtomicLong lastLag = new AtomicLong(-1);
    AtomicLong lagAtEnd = new AtomicLong(-1);
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 2);
    AtomicBoolean bothEnd = new AtomicBoolean(true);
    b.addOperator(source, new OperatorNode("ending", () -> new EndingSource(bothEnd), 0, 1));
    int relay = b.newVertex("relay", 2);
    b.addOperator(
        relay,
        new OperatorNode(
            "relay",
            () ->
                new TestOperators.Map(1, (ctx, port, e) -> ctx.output(0).emit(e)) {
                  private OperatorContext context;

                  @Override
                  public void open(OperatorContext context) {
                    super.open(context);
                    this.context = context;
                  }

                  @Override
                  public void processWatermark(int port, long watermark) throws Exception {
                    if (watermark == Watermarks.END && context.subtaskIndex() == 1) {
                      slowRelayEntered.countDown();
                      releaseSlowRelay.await(30, TimeUnit.SECONDS);
                    }
                    super.processWatermark(port, watermark);
                  }
                },
            1,
            1));
    int probe = b.newVertex("probe", 1);
    b.addOperator(probe, new OperatorNode("probe", () -> new Probe(lastLag, lagAtEnd), 1, 0));
    b.edge(in(source, 0, 0), in(relay, 0, 0), EdgeKind.HASH, e -> 0, 128);
    b.edge(in(relay, 0, 0), in(probe, 0, 0), EdgeKind.HASH, e -> 0, 128);
    JobExecution job =
        JobExecution.start(b.build(), "synchronized-held", ExecutionSettings.defaults());
    try {
      assertThat(slowRelayEntered.await(30, TimeUnit.SECONDS), is(true));
      Thread.sleep(500);
      // The end came from relay 0 within these 500 ms; the clock went on, synchronized time not.
      assertThat(
          "lag of synchronized processing time, ms", lastLag.get(), greaterThanOrEqualTo(300L));
    } finally {
      releaseSlowRelay.countDown();
    }
    assertThat(job.await(WAIT), is(JobStatus.DONE));
    assertThat("lag once the end came on every channel, ms", lagAtEnd.get(), is(0L));
  }

  /** A channel whose sender reads a source that has not ended may never end: nothing is held. */
  @Test
  void notHeldForAChannelThatMayNeverEnd() throws Exception {
    AtomicLong lastLag = new AtomicLong(-1);
    AtomicLong lagAtEnd = new AtomicLong(-1);
    AtomicBoolean endSecond = new AtomicBoolean(false);
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("source", 2);
    b.addOperator(source, new OperatorNode("ending", () -> new EndingSource(endSecond), 0, 1));
    int probe = b.newVertex("probe", 1);
    b.addOperator(probe, new OperatorNode("probe", () -> new Probe(lastLag, lagAtEnd), 1, 0));
    b.edge(in(source, 0, 0), in(probe, 0, 0), EdgeKind.HASH, e -> 0, 128);
    JobExecution job =
        JobExecution.start(b.build(), "synchronized-free", ExecutionSettings.defaults());
    try {
      Thread.sleep(500);
      assertThat("lag of synchronized processing time, ms", lastLag.get(), lessThan(50L));
      assertThat(lastLag.get(), greaterThanOrEqualTo(0L));
    } finally {
      endSecond.set(true);
    }
    assertThat(job.await(WAIT), is(JobStatus.DONE));
  }
}
