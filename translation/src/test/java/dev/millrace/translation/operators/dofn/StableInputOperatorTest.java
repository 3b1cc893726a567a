package dev.millrace.translation.operators.dofn;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.Watermarks;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class StableInputOperatorTest {
  private final List<String> passedOn = new ArrayList<>();

  private StableInputOperator open(boolean checkpointing) throws Exception {
    StableInputOperator operator =
        new StableInputOperator(WindowedValue.getFullCoder(StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE));
    operator.open(new FakeContext(checkpointing, element -> passedOn.add(((WindowedValue<?>) element).getValue().toString())));
    return operator;
  }

  private static WindowedValue<String> at(String value, long millis) {
    return WindowedValue.timestampedValueInGlobalWindow(value, new Instant(millis));
  }

  @Test
  void withCheckpointsAnElementIsPassedOnOnlyOnceACheckpointHoldingItCompleted() throws Exception {
    StableInputOperator operator = open(true);
    operator.processElement(0, at("a", 10));
    operator.processWatermark(0, 50);
    assertThat(passedOn, empty());
    assertThat("held at the waiting element", operator.outputWatermark(), is(10L));

    snapshot(operator, 1);
    operator.processElement(0, at("b", 60));
    operator.processWatermark(0, 100);
    assertThat(operator.hasPendingWork(), is(false));

    operator.checkpointComplete(1);
    assertThat(operator.hasPendingWork(), is(true));
    operator.continueWork();
    assertThat("b came after checkpoint 1's barrier: it waits for checkpoint 2", passedOn, contains("a"));
    assertThat(operator.outputWatermark(), is(60L));

    snapshot(operator, 2);
    operator.checkpointComplete(2);
    operator.continueWork();
    assertThat(passedOn, contains("a", "b"));
    assertThat(operator.outputWatermark(), is(100L));
  }

  @Test
  void aResumedJobGetsTheSnapshottedElementsReplayedAtOnce() throws Exception {
    StableInputOperator before = open(true);
    before.processElement(0, at("a", 10));
    before.processElement(0, at("b", 20));
    before.processWatermark(0, 30);
    InMemorySnapshot checkpoint = snapshot(before, 7);
    before.processElement(0, at("after the barrier", 25));

    StableInputOperator after = open(true);
    after.restoreState(checkpoint.reader());
    assertThat(after.outputWatermark(), is(10L));
    assertThat(after.hasPendingWork(), is(true));
    after.continueWork();
    assertThat(passedOn, contains("a", "b"));
    assertThat(after.outputWatermark(), is(30L));
  }

  @Test
  void elementsReleasedButNotYetPassedOnAreInTheNextSnapshot() throws Exception {
    StableInputOperator before = open(true);
    before.processElement(0, at("a", 10));
    snapshot(before, 1);
    before.checkpointComplete(1);
    // Nothing passed on yet (the output was full, say) when checkpoint 2 is taken.
    InMemorySnapshot checkpoint = snapshot(before, 2);

    StableInputOperator after = open(true);
    after.restoreState(checkpoint.reader());
    after.continueWork();
    assertThat(passedOn, contains("a"));
  }

  @Test
  void withoutCheckpointsElementsGoStraightThrough() throws Exception {
    StableInputOperator operator = open(false);
    operator.processElement(0, at("a", 10));
    operator.processWatermark(0, Watermarks.END);
    assertThat(passedOn, contains("a"));
    assertThat(operator.outputWatermark(), is(Watermarks.END));
  }

  private static InMemorySnapshot snapshot(StableInputOperator operator, long id) throws Exception {
    InMemorySnapshot writer = new InMemorySnapshot(id, null);
    operator.snapshotState(writer);
    return writer;
  }

  private record FakeContext(boolean isCheckpointing, Emitter out) implements OperatorContext {
    @Override
    public String operatorName() {
      return "stable";
    }

    @Override
    public int subtaskIndex() {
      return 0;
    }

    @Override
    public int parallelism() {
      return 1;
    }

    @Override
    public Emitter output(int port) {
      return out;
    }

    @Override
    public boolean isOutputBlocked() {
      return false;
    }

    @Override
    public boolean isDraining() {
      return false;
    }

    @Override
    public long currentProcessingTime() {
      return 0;
    }

    @Override
    public void advanceProcessingTime(long millis) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledExecutorService scheduler() {
      throw new UnsupportedOperationException();
    }
  }
}
