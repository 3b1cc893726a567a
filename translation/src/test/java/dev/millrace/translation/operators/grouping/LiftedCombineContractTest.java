package dev.millrace.translation.operators.grouping;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.Watermarks;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Both halves of a lifted Combine.perKey through the operator contract. */
class LiftedCombineContractTest {
  private static final FixedWindows WINDOWS = FixedWindows.of(Duration.millis(10));

  /** Outputs carry their window's earliest input timestamp: the final half's hold is visible. */
  private static CombineSpec<String, Long, long[], Long> spec() {
    return new CombineSpec<>(
        Sum.ofLongs(),
        StringUtf8Coder.of(),
        TimestampCombiner.EARLIEST,
        PipelineOptionsFactory.create());
  }

  private static WindowedValue<KV<String, Long>> at(String key, long value, long millis) {
    Instant timestamp = new Instant(millis);
    return WindowedValue.of(
        KV.of(key, value), timestamp, WINDOWS.assignWindow(timestamp), PaneInfo.NO_FIRING);
  }

  @Test
  void thePartialHalfHoldsTheWatermarkUntilItsBundleEndsThenSendsOneAccumulatorPerKeyAndWindow()
      throws Exception {
    try (OperatorHarness partial =
        OperatorHarness.open(() -> new PartialCombineOperator<>(spec()), 1, 1, false)) {
      partial.elements(0, at("a", 1, 1), at("a", 2, 3), at("b", 5, 4), at("a", 7, 12));
      assertThat(
          "accumulators wait for the bundle's end", partial.outputWatermark(), is(Watermarks.MIN));
      assertThat(partial.emitted(0), empty());
      assertThat(partial.watermark(0, 5), is(5L));
      assertThat("a in two windows, b in one", partial.emitted(0), hasSize(3));
    }
  }

  @Test
  void theFinalHalfEmitsAWindowOnceTheWatermarkPassesItAndHoldsTheWatermarkAtWhatItKeeps()
      throws Exception {
    try (OperatorHarness partial =
            OperatorHarness.open(() -> new PartialCombineOperator<>(spec()), 1, 1, false);
        OperatorHarness fin =
            OperatorHarness.open(() -> new FinalCombineOperator<>(spec()), 1, 1, true)) {
      partial.elements(0, at("a", 1, 1), at("a", 2, 3), at("a", 7, 12));
      partial.finishBundle();
      for (Object accumulator : partial.take(0)) {
        fin.element(0, accumulator);
      }
      assertThat("held at the earliest kept output timestamp", fin.watermark(0, 5), is(1L));
      assertThat(fin.emitted(0), empty());
      assertThat(fin.watermark(0, 10), is(10L));
      assertThat(values(fin.take(0)), contains(KV.of("a", 3L)));
      assertThat("held at the second window's output timestamp", fin.watermark(0, 15), is(12L));
      assertThat(fin.watermark(0, Watermarks.END), is(Watermarks.END));
      assertThat(values(fin.take(0)), contains(KV.of("a", 7L)));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aPartialHalfBySlicesSendsOneAccumulatorPerKeyAndSliceInAllItsWindows() throws Exception {
    SlidingWindows sliding = SlidingWindows.of(Duration.millis(12)).every(Duration.millis(4));
    SlidingSlices slices = SlidingSlices.of(WindowingStrategy.of(sliding));
    try (OperatorHarness partial =
        OperatorHarness.open(() -> new PartialCombineOperator<>(spec(), slices), 1, 1, false)) {
      // 1 and 3 share the slice [0, 4), 5 is in [4, 8); the last keeps one window only.
      for (long millis : new long[] {1, 3, 5}) {
        Instant timestamp = new Instant(millis);
        partial.element(
            0,
            WindowedValue.of(
                KV.of("a", millis),
                timestamp,
                sliding.assignWindows(timestamp),
                PaneInfo.NO_FIRING));
      }
      IntervalWindow one = new IntervalWindow(new Instant(0), new Instant(12));
      partial.element(
          0, WindowedValue.of(KV.of("a", 100L), new Instant(2), one, PaneInfo.NO_FIRING));
      partial.finishBundle();
      List<String> sent = new ArrayList<>();
      for (Object e : partial.take(0)) {
        WindowedValue<KV<String, long[]>> accumulator = (WindowedValue<KV<String, long[]>>) e;
        List<String> windows = new ArrayList<>();
        accumulator.getWindows().forEach(w -> windows.add(w.toString()));
        windows.sort(null);
        sent.add(accumulator.getValue().getValue()[0] + " in " + windows);
      }
      assertThat(
          sent,
          containsInAnyOrder(
              "4 in " + windows(sliding, 1),
              "5 in " + windows(sliding, 5),
              "100 in " + List.of(one.toString())));
    }
  }

  private static List<String> windows(SlidingWindows sliding, long millis) {
    List<String> windows = new ArrayList<>();
    sliding.assignWindows(new Instant(millis)).forEach(w -> windows.add(w.toString()));
    windows.sort(null);
    return windows;
  }

  private static List<Object> values(List<Object> windowed) {
    return windowed.stream().<Object>map(e -> ((WindowedValue<?>) e).getValue()).toList();
  }
}
