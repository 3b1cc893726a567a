package dev.millrace.translation.operators.grouping;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.Watermarks;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
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

  private static List<Object> values(List<Object> windowed) {
    return windowed.stream().<Object>map(e -> ((WindowedValue<?>) e).getValue()).toList();
  }
}
