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
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void slidingWindowsGiveWhatTheGeneralGroupingGives(StateBackend backend) throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(SLIDING);
    OnePaneJudge.sameAsTheGeneralGrouping(
        windows(windowing, backend),
        OnePaneJudge.general(windowing, backend),
        millis -> assign(SLIDING, millis));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void fixedAndGlobalWindowsGiveWhatTheGeneralGroupingGives(StateBackend backend) throws Exception {
    WindowingStrategy<?, ?> fixed = WindowingStrategy.of(FIXED);
    OnePaneJudge.sameAsTheGeneralGrouping(
        windows(fixed, backend),
        OnePaneJudge.general(fixed, backend),
        millis -> assign(FIXED, millis));
    WindowingStrategy<?, ?> global = WindowingStrategy.of(new GlobalWindows());
    OnePaneJudge.sameAsTheGeneralGrouping(
        windows(global, backend),
        OnePaneJudge.general(global, backend),
        millis -> assign(new GlobalWindows(), millis));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void groupByKeyGivesWhatTheGeneralGroupingGives(StateBackend backend) throws Exception {
    for (WindowFn<?, ?> fn : List.of(SLIDING, FIXED, new GlobalWindows())) {
      WindowingStrategy<?, ?> windowing = WindowingStrategy.of(fn);
      OnePaneJudge.sameAsTheGeneralGrouping(
          () -> new WindowGroupOperator<>(OnePaneJudge.CODER, windowing, backend),
          OnePaneJudge.generalGroupByKey(windowing, backend),
          millis -> assign(fn, millis));
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void aCheckpointOfTheGeneralGroupingIsRefusedByName(StateBackend backend, @TempDir Path dir)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(FIXED);
    InMemorySnapshot earlier;
    try (OperatorHarness general =
        OperatorHarness.open(OnePaneJudge.generalGroupByKey(windowing, backend), 1, 1, true)) {
      general.element(0, OnePaneJudge.at("a", 1, 1, m -> assign(FIXED, m)));
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
    harness.elements(
        0,
        OnePaneJudge.at("a", 1, 1, m -> assign(FIXED, m)),
        OnePaneJudge.at("a", 2, 12, m -> assign(FIXED, m)),
        OnePaneJudge.at("b", 3, 5, m -> assign(FIXED, m)));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.element(0, OnePaneJudge.at("a", 100, 2, m -> assign(FIXED, m))); // lost with it
    harness.close();
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      restored.element(0, OnePaneJudge.at("a", 4, 9, m -> assign(FIXED, m)));
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
