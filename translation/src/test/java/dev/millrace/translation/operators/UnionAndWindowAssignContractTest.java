package dev.millrace.translation.operators;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.Watermarks;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** The stateless operators through the operator contract. */
class UnionAndWindowAssignContractTest {

  @Test
  void aUnionPassesEveryInputOnAndFollowsTheSlowestInput() throws Exception {
    try (OperatorHarness union = OperatorHarness.open(() -> new UnionOperator(2), 2, 1, true)) {
      union.element(0, "a");
      union.element(1, "b");
      assertThat(union.emitted(0), contains("a", "b"));
      assertThat(union.watermark(0, 100), is(Watermarks.MIN));
      assertThat(union.watermark(1, 50), is(50L));
      assertThat(union.watermark(1, Watermarks.END), is(100L));

      InMemorySnapshot snapshot = union.snapshot(1, null);
      try (OperatorHarness restored = union.restoreFresh(snapshot, 1)) {
        assertThat("its input watermarks are its state", restored.outputWatermark(), is(100L));
      }
    }
  }

  @Test
  void windowAssignmentGivesEachElementItsWindowAndKeepsTheWatermark() throws Exception {
    FixedWindows windows = FixedWindows.of(Duration.millis(10));
    try (OperatorHarness assign =
        OperatorHarness.open(() -> new WindowAssignOperator<>(windows), 1, 1, false)) {
      assign.element(0, WindowedValue.timestampedValueInGlobalWindow("x", new Instant(23)));
      WindowedValue<?> out = (WindowedValue<?>) assign.emitted(0).get(0);
      List<BoundedWindow> assigned = List.copyOf(out.getWindows());
      assertThat(
          assigned, contains((BoundedWindow) new IntervalWindow(new Instant(20), new Instant(30))));
      assertThat(assign.watermark(0, 25), is(25L));
    }
  }
}
