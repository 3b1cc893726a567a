package dev.millrace.translation.operators.grouping.onepane;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.OperatorFactory;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.backend.StateBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one-pane combine and GroupByKey over windows that never merge, through the operator contract,
 * on both state backends: judged against the general grouping by {@link OnePaneJudge} for sliding
 * windows (each input in several windows), fixed and global windows, with input out of order and
 * late; the output held at a due window's end; windows kept across a snapshot restored into a fresh
 * instance; a checkpoint of the general grouping's state layout refused by name.
 */
class WindowGroupingContractTest {
  private static final SlidingWindows SLIDING =
      SlidingWindows.of(Duration.millis(10)).every(Duration.millis(4));
  private static final FixedWindows FIXED = FixedWindows.of(Duration.millis(10));

  private static OperatorFactory windows(WindowingStrategy<?, ?> windowing, StateBackend backend) {
    return () ->
        new WindowCombineOperator<>(
            OnePaneJudge.CODER,
            windowing,
            new OnePaneJudge.Values(),
            ListCoder.of(VarLongCoder.of()),
            backend);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static List<BoundedWindow> assign(WindowFn fn, long millis) {
    try {
      Collection<BoundedWindow> assigned =
          fn.assignWindows(
              fn.new AssignContext() {
                @Override
                public Object element() {
                  return null;
                }

                @Override
                public Instant timestamp() {
                  return new Instant(millis);
                }

                @Override
                public BoundedWindow window() {
                  return null;
                }
              });
      return new ArrayList<>(assigned);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An input in the fixed window of {@code millis}. */
  private static WindowedValue<KV<String, Long>> fixedAt(String key, long value, long millis) {
    return OnePaneJudge.at(key, value, millis, m -> assign(FIXED, m));
  }

  @Test
  void theWindowCombineIsForWindowsThatFireOnceOnly() {
    assertThat(WindowCombineOperator.applies(WindowingStrategy.of(SLIDING)), is(true));
    assertThat(WindowCombineOperator.applies(WindowingStrategy.globalDefault()), is(true));
    assertThat(
        WindowCombineOperator.applies(
            WindowingStrategy.of(FIXED).withAllowedLateness(Duration.millis(1))),
        is(false));
    assertThat(
        WindowCombineOperator.applies(
            WindowingStrategy.of(FIXED).withTimestampCombiner(TimestampCombiner.LATEST)),
        is(false));
  }

  /** Every backend with sliding windows (each input in several), fixed and global windows. */
  static Stream<Arguments> backendsAndWindows() {
    return Stream.of(StateBackend.values())
        .flatMap(
            backend ->
                Stream.of(SLIDING, FIXED, new GlobalWindows())
                    .map(fn -> Arguments.of(backend, fn)));
  }

  @ParameterizedTest
  @MethodSource("backendsAndWindows")
  void theCombineGivesWhatTheGeneralGroupingGives(StateBackend backend, WindowFn<?, ?> fn)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(fn);
    OnePaneJudge.sameAsTheGeneralGrouping(
        windows(windowing, backend),
        OnePaneJudge.general(windowing, backend),
        millis -> assign(fn, millis));
  }

  @ParameterizedTest
  @MethodSource("backendsAndWindows")
  void groupByKeyGivesWhatTheGeneralGroupingGives(StateBackend backend, WindowFn<?, ?> fn)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(fn);
    OnePaneJudge.sameAsTheGeneralGrouping(
        () -> new WindowGroupOperator<>(OnePaneJudge.CODER, windowing, backend),
        OnePaneJudge.generalGroupByKey(windowing, backend),
        millis -> assign(fn, millis));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void aCheckpointOfTheGeneralGroupingIsRefusedByName(StateBackend backend, @TempDir Path dir)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(FIXED);
    InMemorySnapshot earlier;
    try (OperatorHarness general =
        OperatorHarness.open(OnePaneJudge.generalGroupByKey(windowing, backend), 1, 1, true)) {
      general.element(0, fixedAt("a", 1, 1));
      earlier = general.snapshot(1, dir);
    }
    try (OperatorHarness now =
        OperatorHarness.open(
            () -> new WindowGroupOperator<>(OnePaneJudge.CODER, windowing, backend), 1, 1, true)) {
      IllegalStateException refused =
          assertThrows(
              IllegalStateException.class, () -> now.operator().restoreState(earlier.reader()));
      assertThat(refused.getMessage(), containsString("ReduceFnRunner"));
      assertThat(refused.getMessage(), containsString("one-pane window grouping v1"));
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void windowsSurviveASnapshotAndHoldTheOutputWhileDue(StateBackend backend, @TempDir Path dir)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(FIXED);
    OperatorHarness harness = OperatorHarness.open(windows(windowing, backend), 1, 1, true);
    harness.elements(0, fixedAt("a", 1, 1), fixedAt("a", 2, 12), fixedAt("b", 3, 5));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.element(0, fixedAt("a", 100, 2)); // lost with it
    harness.close();
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      restored.element(0, fixedAt("a", 4, 9));
      restored.blockOutput(true);
      assertThat("[0, 10) is due but not out", restored.watermark(0, 15), is(9L));
      restored.blockOutput(false);
      while (restored.continueWork() > 0) {
        restored.finishBundle();
      }
      restored.finishBundle();
      assertThat(restored.outputWatermark(), is(15L));
      assertThat(
          OnePaneJudge.results(restored.take(0)),
          containsInAnyOrder(
              "a [1970-01-01T00:00:00.000Z..1970-01-01T00:00:00.010Z) @9 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [1, 4]",
              "b [1970-01-01T00:00:00.000Z..1970-01-01T00:00:00.010Z) @9 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [3]"));
      restored.watermark(0, Watermarks.END);
      assertThat(
          OnePaneJudge.results(restored.take(0)),
          containsInAnyOrder(
              "a [1970-01-01T00:00:00.010Z..1970-01-01T00:00:00.020Z) @19 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [2]"));
    }
  }
}
