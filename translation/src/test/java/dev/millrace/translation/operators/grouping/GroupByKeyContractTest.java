package dev.millrace.translation.operators.grouping;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.MemoryBudget;
import dev.millrace.state.backend.StateBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Both GroupByKey operators through the operator contract, on both state backends: the streaming
 * one (ReduceFnRunner on keyed state) holds the output at what its panes will carry, keeps its
 * panes across a snapshot restored into a fresh instance and fires windows that fall due while
 * downstream is full once it drains; the bounded one holds everything until its input ends and
 * pauses its output while downstream is full.
 */
class GroupByKeyContractTest {
  private static final KvCoder<String, Long> CODER =
      KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
  private static final FixedWindows WINDOWS = FixedWindows.of(Duration.millis(10));

  /** Panes carry their earliest element's timestamp, so the hold they put on the output shows. */
  private static final WindowingStrategy<?, ?> WINDOWING =
      WindowingStrategy.of(WINDOWS).withTimestampCombiner(TimestampCombiner.EARLIEST);

  private static OperatorHarness streaming(StateBackend backend) throws Exception {
    return OperatorHarness.open(
        () ->
            GroupByKeyOperator.grouping(CODER, WINDOWING, PipelineOptionsFactory.create(), backend),
        1,
        1,
        true);
  }

  private static OperatorHarness bounded(StateBackend backend) throws Exception {
    return OperatorHarness.open(
        () -> new BoundedGroupByKeyOperator<>(CODER, WINDOWING, backend, new MemoryBudget(1 << 20)),
        1,
        1,
        false);
  }

  private static WindowedValue<KV<String, Long>> at(String key, long value, long millis) {
    Instant timestamp = new Instant(millis);
    return WindowedValue.of(
        KV.of(key, value), timestamp, WINDOWS.assignWindow(timestamp), PaneInfo.NO_FIRING);
  }

  /** Each pane as "key@timestamp=[values]", values sorted. */
  private static List<String> panes(List<Object> emitted) {
    List<String> panes = new ArrayList<>();
    for (Object e : emitted) {
      @SuppressWarnings("unchecked")
      WindowedValue<KV<String, Iterable<Long>>> pane =
          (WindowedValue<KV<String, Iterable<Long>>>) e;
      List<Long> values = new ArrayList<>();
      pane.getValue().getValue().forEach(values::add);
      values.sort(null);
      panes.add(pane.getValue().getKey() + "@" + pane.getTimestamp().getMillis() + "=" + values);
    }
    return panes;
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void panesSurviveASnapshotRestoredIntoAFreshInstance(StateBackend backend, @TempDir Path dir)
      throws Exception {
    OperatorHarness harness = streaming(backend);
    harness.elements(0, at("a", 1, 1), at("a", 2, 3), at("b", 5, 12));
    assertThat("held at the earliest pane timestamp", harness.watermark(0, 5), is(1L));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.elements(0, at("a", 100, 6)); // after the snapshot: gone with the instance
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      restored.elements(0, at("a", 4, 4));
      assertThat("b's window still holds", restored.watermark(0, 10), is(10L));
      assertThat(panes(restored.take(0)), containsInAnyOrder("a@1=[1, 2, 4]"));
      assertThat(restored.watermark(0, Watermarks.END), is(Watermarks.END));
      assertThat(panes(restored.take(0)), containsInAnyOrder("b@12=[5]"));
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void windowsDueWhileTheOutputIsBlockedFireOnceItDrains(StateBackend backend) throws Exception {
    try (OperatorHarness harness = streaming(backend)) {
      harness.elements(0, at("a", 1, 1), at("b", 2, 2), at("c", 3, 3));
      harness.blockOutput(true);
      assertThat("nothing fired: the panes still hold", harness.watermark(0, 20), is(1L));
      assertThat(harness.emitted(0), empty());
      harness.blockOutput(false);
      assertThat(harness.continueWork(), greaterThan(0));
      harness.finishBundle();
      assertThat(panes(harness.take(0)), containsInAnyOrder("a@1=[1]", "b@2=[2]", "c@3=[3]"));
      assertThat(harness.outputWatermark(), is(20L));
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void boundedGroupingHoldsEverythingUntilTheEndAndPausesWhileTheOutputIsBlocked(
      StateBackend backend) throws Exception {
    try (OperatorHarness harness = bounded(backend)) {
      harness.elements(0, at("a", 1, 1), at("a", 2, 13), at("b", 3, 2), at("c", 4, 3));
      assertThat(
          "an intermediate watermark releases nothing",
          harness.watermark(0, 50),
          is(Watermarks.MIN));
      harness.blockOutput(true);
      assertThat(harness.watermark(0, Watermarks.END), is(Watermarks.MIN));
      assertThat(harness.emitted(0), empty());
      assertThat(harness.operator().hasPendingWork(), is(true));
      harness.blockOutput(false);
      harness.continueWork();
      harness.finishBundle();
      assertThat(
          panes(harness.take(0)), containsInAnyOrder("a@1=[1]", "a@13=[2]", "b@2=[3]", "c@3=[4]"));
      assertThat(harness.outputWatermark(), is(Watermarks.END));
    }
  }
}
