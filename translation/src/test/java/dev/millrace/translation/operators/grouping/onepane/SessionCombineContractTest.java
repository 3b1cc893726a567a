package dev.millrace.translation.operators.grouping.onepane;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.OperatorFactory;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.backend.StateBackend;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The session combine through the operator contract, on both state backends, judged against the
 * general grouping (runners-core's ReduceFnRunner over the same CombineFn): the same results, in
 * the same windows, with the same timestamps and panes, for input out of order, late input and
 * sessions that merge; the output held at the earliest open session's end; sessions kept across a
 * snapshot restored into a fresh instance.
 */
class SessionCombineContractTest {
  private static final KvCoder<String, Long> CODER = OnePaneJudge.CODER;
  private static final Sessions SESSIONS = Sessions.withGapDuration(Duration.millis(10));
  private static final WindowingStrategy<?, ?> WINDOWING = WindowingStrategy.of(SESSIONS);

  private static OperatorFactory sessions(StateBackend backend) {
    return () ->
        new SessionCombineOperator<>(
            CODER, WINDOWING, new OnePaneJudge.Values(), ListCoder.of(VarLongCoder.of()), backend);
  }

  private static WindowedValue<KV<String, Long>> at(String key, long value, long millis) {
    Instant timestamp = new Instant(millis);
    return WindowedValue.of(
        KV.of(key, value),
        timestamp,
        new IntervalWindow(timestamp, SESSIONS.getGapDuration()),
        PaneInfo.NO_FIRING);
  }

  @Test
  void theSessionCombineIsForBeamsDefaultSessionsOnly() {
    assertThat(SessionCombineOperator.applies(WINDOWING), is(true));
    assertThat(
        SessionCombineOperator.applies(WINDOWING.withAllowedLateness(Duration.millis(1))),
        is(false));
    assertThat(
        SessionCombineOperator.applies(WINDOWING.withTimestampCombiner(TimestampCombiner.EARLIEST)),
        is(false));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void givesWhatTheGeneralGroupingGivesForRandomInput(StateBackend backend) throws Exception {
    OnePaneJudge.sameAsTheGeneralGrouping(
        sessions(backend),
        OnePaneJudge.general(WINDOWING, backend),
        millis -> List.of(new IntervalWindow(new Instant(millis), SESSIONS.getGapDuration())));
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void mergesOverlappingSessionsOnlyAndHoldsTheOutputAtTheEarliestDueEnd(StateBackend backend)
      throws Exception {
    try (OperatorHarness harness = OperatorHarness.open(sessions(backend), 1, 1, true)) {
      // [0, 10) and [15, 25) stay apart until 8 joins them; [25, 35) only touches [15, 25).
      harness.elements(0, at("a", 1, 0), at("a", 2, 15), at("a", 3, 25), at("b", 9, 1));
      assertThat(harness.watermark(0, 5), is(5L));
      harness.elements(0, at("a", 4, 8), at("a", 5, 27));
      harness.blockOutput(true);
      assertThat(
          "sessions due but not out hold the output at the earliest end",
          harness.watermark(0, 30),
          is(10L));
      harness.blockOutput(false);
      harness.continueWork();
      harness.finishBundle();
      assertThat(harness.outputWatermark(), is(30L));
      assertThat(
          OnePaneJudge.results(harness.take(0)),
          containsInAnyOrder(
              "a [1970-01-01T00:00:00.000Z..1970-01-01T00:00:00.025Z) @24 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [1, 2, 4]",
              "b [1970-01-01T00:00:00.001Z..1970-01-01T00:00:00.011Z) @10 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [9]"));
      harness.element(0, at("a", 6, 10)); // its session [10, 20) is behind the watermark: dropped
      assertThat(harness.watermark(0, 50), is(50L));
      assertThat(
          OnePaneJudge.results(harness.take(0)),
          contains(
              "a [1970-01-01T00:00:00.025Z..1970-01-01T00:00:00.037Z) @36 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [3, 5]"));
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void sessionsSurviveASnapshotRestoredIntoAFreshInstance(StateBackend backend, @TempDir Path dir)
      throws Exception {
    OperatorHarness harness = OperatorHarness.open(sessions(backend), 1, 1, true);
    harness.elements(0, at("a", 1, 0), at("a", 2, 8), at("b", 3, 100));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.elements(0, at("a", 100, 5)); // after the snapshot: gone with the instance
    harness.close();
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      restored.elements(0, at("a", 4, 12));
      assertThat("a's session now ends at 22", restored.watermark(0, 50), is(50L));
      assertThat(
          OnePaneJudge.results(restored.take(0)),
          contains(
              "a [1970-01-01T00:00:00.000Z..1970-01-01T00:00:00.022Z) @21 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [1, 2, 4]"));
      restored.watermark(0, Watermarks.END);
      assertThat(
          OnePaneJudge.results(restored.take(0)),
          is(
              equalTo(
                  List.of(
                      "b [1970-01-01T00:00:00.100Z..1970-01-01T00:00:00.110Z) @109 "
                          + PaneInfo.ON_TIME_AND_ONLY_FIRING
                          + " = [3]"))));
    }
  }
}
