package dev.millrace.translation.operators.dofn;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.Watermarks;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** StableInputOperator through the operator contract (OperatorHarness checks its watermarks). */
class StableInputOperatorTest {

  private static OperatorHarness open(boolean checkpointing) throws Exception {
    return OperatorHarness.open(
        () ->
            new StableInputOperator(
                WindowedValue.getFullCoder(StringUtf8Coder.of(), GlobalWindow.Coder.INSTANCE)),
        1,
        1,
        checkpointing);
  }

  private static WindowedValue<String> at(String value, long millis) {
    return WindowedValue.timestampedValueInGlobalWindow(value, new Instant(millis));
  }

  private static List<Object> passedOn(OperatorHarness harness) {
    return harness.emitted(0).stream()
        .map(e -> ((WindowedValue<?>) e).getValue())
        .collect(Collectors.toList());
  }

  @Test
  void withCheckpointsAnElementIsPassedOnOnlyOnceACheckpointHoldingItCompleted() throws Exception {
    try (OperatorHarness harness = open(true)) {
      harness.element(0, at("a", 10));
      assertThat("held at the waiting element", harness.watermark(0, 50), is(10L));
      assertThat(passedOn(harness), empty());

      harness.snapshot(1, null);
      harness.element(0, at("b", 60));
      harness.watermark(0, 100);
      assertThat(harness.operator().hasPendingWork(), is(false));

      harness.checkpointComplete(1);
      assertThat(harness.operator().hasPendingWork(), is(true));
      harness.continueWork();
      assertThat(
          "b came after checkpoint 1's barrier: it waits for checkpoint 2",
          passedOn(harness),
          contains("a"));
      assertThat(harness.outputWatermark(), is(60L));

      harness.snapshot(2, null);
      harness.checkpointComplete(2);
      harness.continueWork();
      assertThat(passedOn(harness), contains("a", "b"));
      assertThat(harness.outputWatermark(), is(100L));
    }
  }

  @Test
  void aResumedJobGetsTheSnapshottedElementsReplayedAtOnce() throws Exception {
    OperatorHarness before = open(true);
    before.elements(0, at("a", 10), at("b", 20));
    before.watermark(0, 30);
    InMemorySnapshot checkpoint = before.snapshot(7, null);
    before.element(0, at("after the barrier", 25));

    try (OperatorHarness after = before.restoreFresh(checkpoint, 1)) {
      assertThat(after.outputWatermark(), is(10L));
      assertThat(after.operator().hasPendingWork(), is(true));
      after.continueWork();
      assertThat(passedOn(after), contains("a", "b"));
      assertThat(after.outputWatermark(), is(30L));
    }
  }

  @Test
  void elementsReleasedButNotYetPassedOnAreInTheNextSnapshot() throws Exception {
    OperatorHarness before = open(true);
    before.element(0, at("a", 10));
    before.snapshot(1, null);
    // The output is full when checkpoint 1 completes: nothing is passed on before checkpoint 2.
    before.blockOutput(true);
    before.checkpointComplete(1);
    before.continueWork();
    assertThat(passedOn(before), empty());
    InMemorySnapshot checkpoint = before.snapshot(2, null);

    try (OperatorHarness after = before.restoreFresh(checkpoint, 1)) {
      after.continueWork();
      assertThat(passedOn(after), contains("a"));
    }
  }

  @Test
  void withoutCheckpointsElementsGoStraightThrough() throws Exception {
    try (OperatorHarness harness = open(false)) {
      harness.element(0, at("a", 10));
      assertThat(harness.watermark(0, Watermarks.END), is(Watermarks.END));
      assertThat(passedOn(harness), contains("a"));
    }
  }
}
