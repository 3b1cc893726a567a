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
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The sliding-window combine by slices, through the operator contract on both state backends:
 * judged against the general grouping by {@link OnePaneJudge} (input out of order and late, output
 * watermarks compared at every step), with a CombineFn whose merge changes what it is given, with
 * offset windows, with inputs whose windows are not one slice's, and across a snapshot.
 */
class SlidingCombineContractTest {
  private static final SlidingWindows SLIDING =
      SlidingWindows.of(Duration.millis(12)).every(Duration.millis(4));

  /**
   * {@link OnePaneJudge.Values} with a merge that empties its inputs into the first, as allowed.
   */
  static final class MergingIntoTheFirst extends OnePaneJudge.Values {
    @Override
    public List<Long> mergeAccumulators(Iterable<List<Long>> accumulators) {
      List<Long> first = null;
      for (List<Long> accumulator : accumulators) {
        if (first == null) {
          first = accumulator;
        } else {
          first.addAll(accumulator);
          accumulator.clear();
        }
      }
      return first == null ? new ArrayList<>() : first;
    }
  }

  private static OperatorFactory slices(
      WindowingStrategy<?, ?> windowing, StateBackend backend, OnePaneJudge.Values fn) {
    return () ->
        new SlidingCombineOperator<>(
            OnePaneJudge.CODER, windowing, fn, ListCoder.of(VarLongCoder.of()), backend);
  }

  private static List<BoundedWindow> windowsOf(SlidingWindows fn, long millis) {
    return new ArrayList<>(fn.assignWindows(new Instant(millis)));
  }

  @Test
  void slicesAreForSlidingWindowsWhoseSizeIsAMultipleOfTheirPeriodFiringOnce() {
    assertThat(SlidingCombineOperator.applies(WindowingStrategy.of(SLIDING)), is(true));
    assertThat(
        SlidingCombineOperator.applies(
            WindowingStrategy.of(SlidingWindows.of(Duration.millis(10)).every(Duration.millis(4)))),
        is(false));
    assertThat(
        SlidingCombineOperator.applies(
            WindowingStrategy.of(SLIDING).withTimestampCombiner(TimestampCombiner.EARLIEST)),
        is(false));
    assertThat(
        SlidingCombineOperator.applies(
            WindowingStrategy.of(SLIDING).withAllowedLateness(Duration.millis(1))),
        is(false));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void theCombineGivesWhatTheGeneralGroupingGives(StateBackend backend) throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(SLIDING);
    OnePaneJudge.sameAsTheGeneralGrouping(
        slices(windowing, backend, new OnePaneJudge.Values()),
        OnePaneJudge.general(windowing, backend),
        millis -> windowsOf(SLIDING, millis));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void aMergeThatChangesItsInputsLeavesTheSlicesOfLaterWindowsAlone(StateBackend backend)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(SLIDING);
    OnePaneJudge.sameAsTheGeneralGrouping(
        slices(windowing, backend, new MergingIntoTheFirst()),
        OnePaneJudge.general(windowing, backend),
        millis -> windowsOf(SLIDING, millis));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void offsetWindowsAndInputsInOtherWindowsGiveWhatTheGeneralGroupingGives(StateBackend backend)
      throws Exception {
    SlidingWindows offset =
        SlidingWindows.of(Duration.millis(9))
            .every(Duration.millis(3))
            .withOffset(Duration.millis(1));
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(offset);
    // Every fifth input keeps only some of its windows, as if an earlier step had set them.
    OnePaneJudge.sameAsTheGeneralGrouping(
        slices(windowing, backend, new OnePaneJudge.Values()),
        OnePaneJudge.general(windowing, backend),
        millis -> {
          List<BoundedWindow> windows = windowsOf(offset, millis);
          return Math.floorMod(millis, 5) == 0 ? windows.subList(0, 2) : windows;
        });
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void slicesSurviveASnapshot(StateBackend backend, @TempDir Path dir) throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(SLIDING);
    OperatorHarness harness =
        OperatorHarness.open(slices(windowing, backend, new OnePaneJudge.Values()), 1, 1, true);
    harness.elements(
        0,
        OnePaneJudge.at("a", 1, 1, m -> windowsOf(SLIDING, m)),
        OnePaneJudge.at("a", 2, 5, m -> windowsOf(SLIDING, m)));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.element(0, OnePaneJudge.at("a", 100, 2, m -> windowsOf(SLIDING, m))); // lost with it
    harness.close();
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      restored.watermark(0, Watermarks.END);
      List<String> results = OnePaneJudge.results(restored.take(0));
      assertThat(
          results,
          containsInAnyOrder(
              line(-8, 4, "[1]"),
              line(-4, 8, "[1, 2]"),
              line(0, 12, "[1, 2]"),
              line(4, 16, "[2]")));
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void aCheckpointOfOneAccumulatorPerWindowIsRefusedByName(StateBackend backend, @TempDir Path dir)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(SLIDING);
    InMemorySnapshot earlier;
    try (OperatorHarness perWindow =
        OperatorHarness.open(
            () ->
                new WindowCombineOperator<>(
                    OnePaneJudge.CODER,
                    windowing,
                    new OnePaneJudge.Values(),
                    ListCoder.of(VarLongCoder.of()),
                    backend),
            1,
            1,
            true)) {
      perWindow.element(0, OnePaneJudge.at("a", 1, 1, m -> windowsOf(SLIDING, m)));
      earlier = perWindow.snapshot(1, dir);
    }
    try (OperatorHarness now =
        OperatorHarness.open(slices(windowing, backend, new OnePaneJudge.Values()), 1, 1, true)) {
      IllegalStateException refused =
          assertThrows(
              IllegalStateException.class, () -> now.operator().restoreState(earlier.reader()));
      assertThat(refused.getMessage(), containsString("one-pane window combine v1"));
      assertThat(refused.getMessage(), containsString("one-pane sliding combine by slices v1"));
    }
  }

  private static String line(long start, long end, String values) {
    IntervalWindow window = new IntervalWindow(new Instant(start), new Instant(end));
    return "a "
        + window
        + " @"
        + (end - 1)
        + " "
        + org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING
        + " = "
        + values;
  }
}
