package dev.millrace.translation.operators.grouping.sessions;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.OperatorFactory;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.translation.operators.grouping.GroupByKeyOperator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.AppliedCombineFn;
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
  private static final KvCoder<String, Long> CODER =
      KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
  private static final Sessions SESSIONS = Sessions.withGapDuration(Duration.millis(10));
  private static final WindowingStrategy<?, ?> WINDOWING = WindowingStrategy.of(SESSIONS);

  /** A session's values, sorted: a lost, doubled or misplaced value shows. */
  static final class Values extends Combine.CombineFn<Long, List<Long>, String> {
    @Override
    public List<Long> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Long> addInput(List<Long> accumulator, Long input) {
      accumulator.add(input);
      return accumulator;
    }

    @Override
    public List<Long> mergeAccumulators(Iterable<List<Long>> accumulators) {
      List<Long> merged = new ArrayList<>();
      accumulators.forEach(merged::addAll);
      return merged;
    }

    @Override
    public String extractOutput(List<Long> accumulator) {
      List<Long> sorted = new ArrayList<>(accumulator);
      sorted.sort(null);
      return sorted.toString();
    }

    @Override
    public Coder<List<Long>> getAccumulatorCoder(CoderRegistry registry, Coder<Long> inputCoder) {
      return ListCoder.of(VarLongCoder.of());
    }
  }

  private static OperatorFactory sessions(StateBackend backend) {
    return () ->
        new SessionCombineOperator<>(CODER, new Values(), ListCoder.of(VarLongCoder.of()), backend);
  }

  private static OperatorFactory general(StateBackend backend) {
    AppliedCombineFn<String, Long, List<Long>, String> applied =
        AppliedCombineFn.withInputCoder(new Values(), CoderRegistry.createDefault(), CODER);
    return () ->
        new GroupByKeyOperator<String, Long, String, IntervalWindow>(
            CODER,
            () -> SystemReduceFn.combining(StringUtf8Coder.of(), applied),
            WINDOWING,
            PipelineOptionsFactory.create(),
            backend);
  }

  private static WindowedValue<KV<String, Long>> at(String key, long value, long millis) {
    Instant timestamp = new Instant(millis);
    return WindowedValue.of(
        KV.of(key, value),
        timestamp,
        new IntervalWindow(timestamp, SESSIONS.getGapDuration()),
        PaneInfo.NO_FIRING);
  }

  /** Each result as "key [start, end) @timestamp pane = values". */
  private static List<String> results(List<Object> emitted) {
    List<String> results = new ArrayList<>();
    for (Object e : emitted) {
      @SuppressWarnings("unchecked")
      WindowedValue<KV<String, String>> result = (WindowedValue<KV<String, String>>) e;
      BoundedWindow window = result.getWindows().iterator().next();
      results.add(
          result.getValue().getKey()
              + " "
              + window
              + " @"
              + result.getTimestamp().getMillis()
              + " "
              + result.getPane()
              + " = "
              + result.getValue().getValue());
    }
    return results;
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
    for (long seed = 1; seed <= 20; seed++) {
      try (OperatorHarness fast = OperatorHarness.open(sessions(backend), 1, 1, true);
          OperatorHarness reference = OperatorHarness.open(general(backend), 1, 1, true)) {
        Random random = new Random(seed);
        long watermark = Watermarks.MIN;
        long time = 0;
        List<String> fastResults = new ArrayList<>();
        List<String> referenceResults = new ArrayList<>();
        for (int step = 0; step < 300; step++) {
          if (random.nextInt(10) == 0) {
            long next = time - 15 + random.nextInt(10);
            if (next > watermark) {
              watermark = next;
              long fastOut = fast.watermark(0, watermark);
              assertThat(
                  "seed " + seed + " step " + step, fastOut, is(reference.watermark(0, watermark)));
            }
          } else {
            time += random.nextInt(4);
            // Out of order by up to 20 ms, so some input is late and some sessions merge late.
            WindowedValue<KV<String, Long>> element =
                at("k" + random.nextInt(3), step, time - random.nextInt(20));
            fast.element(0, element);
            reference.element(0, element);
          }
          fastResults.addAll(results(fast.take(0)));
          referenceResults.addAll(results(reference.take(0)));
        }
        fast.watermark(0, Watermarks.END);
        reference.watermark(0, Watermarks.END);
        fastResults.addAll(results(fast.take(0)));
        referenceResults.addAll(results(reference.take(0)));
        assertThat("seed " + seed, referenceResults, is(not(empty())));
        assertThat("seed " + seed, fastResults, containsInAnyOrder(referenceResults.toArray()));
      }
    }
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
          results(harness.take(0)),
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
          results(harness.take(0)),
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
          results(restored.take(0)),
          contains(
              "a [1970-01-01T00:00:00.000Z..1970-01-01T00:00:00.022Z) @21 "
                  + PaneInfo.ON_TIME_AND_ONLY_FIRING
                  + " = [1, 2, 4]"));
      restored.watermark(0, Watermarks.END);
      assertThat(
          results(restored.take(0)),
          is(
              equalTo(
                  List.of(
                      "b [1970-01-01T00:00:00.100Z..1970-01-01T00:00:00.110Z) @109 "
                          + PaneInfo.ON_TIME_AND_ONLY_FIRING
                          + " = [3]"))));
    }
  }
}
