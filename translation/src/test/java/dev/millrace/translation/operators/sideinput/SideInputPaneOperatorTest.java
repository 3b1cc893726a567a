package dev.millrace.translation.operators.sideinput;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import java.util.List;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Both halves around a triggered side input's grouping, through the operator contract. */
class SideInputPaneOperatorTest {

  @Test
  void keyByVoidKeepsTimestampWindowAndPaneAndPassesTheWatermarkOn() throws Exception {
    try (OperatorHarness harness =
        OperatorHarness.open(SideInputPaneOperator::keyByVoid, 1, 1, true)) {
      PaneInfo early = PaneInfo.createPane(false, false, PaneInfo.Timing.EARLY, 4, -1);
      harness.element(0, WindowedValue.of("x", new Instant(3), GlobalWindow.INSTANCE, early));
      assertThat(harness.watermark(0, 7), is(7L));
      WindowedValue<?> out = (WindowedValue<?>) harness.take(0).get(0);
      assertThat(out.getValue(), is(KV.of(null, KV.of(4L, "x"))));
      assertThat(out.getTimestamp(), is(new Instant(3)));
      assertThat(out.getPane(), is(early));
    }
  }

  @Test
  void toPanesTurnsOneFiringIntoOnePaneOfItsValues() throws Exception {
    try (OperatorHarness harness =
        OperatorHarness.open(() -> SideInputPaneOperator.toPanes(false), 1, 1, true)) {
      harness.element(
          0,
          WindowedValue.of(
              KV.of(null, List.of(KV.of(3L, "a"), KV.of(1L, "b"))),
              new Instant(9),
              GlobalWindow.INSTANCE,
              PaneInfo.NO_FIRING));
      WindowedValue<?> out = (WindowedValue<?>) harness.take(0).get(0);
      assertThat(((SideInputPane) out.getValue()).values(), contains("a", "b"));
      assertThat(harness.watermark(0, 10), is(10L));
    }
  }

  @Test
  void forASingletonViewOnlyTheNewestFiringOfAGroupIsKept() throws Exception {
    // Two firings of a Latest combine (panes 2 and 3) reached the grouping before it fired.
    try (OperatorHarness harness =
        OperatorHarness.open(() -> SideInputPaneOperator.toPanes(true), 1, 1, true)) {
      harness.element(
          0,
          WindowedValue.of(
              KV.of(null, List.of(KV.of(2L, "older"), KV.of(3L, "newest"), KV.of(1L, "oldest"))),
              new Instant(9),
              GlobalWindow.INSTANCE,
              PaneInfo.NO_FIRING));
      WindowedValue<?> out = (WindowedValue<?>) harness.take(0).get(0);
      assertThat(((SideInputPane) out.getValue()).values(), contains("newest"));
    }
  }
}
