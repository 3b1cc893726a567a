package dev.millrace.translation.operators.dofn;

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
import dev.millrace.state.keyed.KeyedStateStore;
import dev.millrace.translation.metrics.JobMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A stateful DoFn through the operator contract, on both state backends: its state and timers
 * survive a snapshot restored into a fresh instance, its timers hold the output watermark at their
 * output timestamps, and timers that fall due while downstream is full wait for the output to
 * drain.
 */
class DoFnOperatorContractTest {
  private static final TupleTag<String> MAIN = new TupleTag<>("main");

  /**
   * Sums a key's values; an event-time timer at 10 emits the sum, holding the output at the key's
   * first element.
   */
  static class SumUntilTen extends DoFn<KV<String, Long>, String> {
    @StateId("sum")
    private final StateSpec<ValueState<Long>> sumSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("flush")
    private final TimerSpec flushSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, Long> element,
        @Timestamp Instant timestamp,
        @StateId("sum") ValueState<Long> sum,
        @TimerId("flush") Timer flush) {
      Long before = sum.read();
      sum.write((before == null ? 0 : before) + element.getValue());
      if (before == null) {
        flush.withOutputTimestamp(timestamp).set(new Instant(10));
      }
    }

    @OnTimer("flush")
    public void flush(
        @Key String key, @StateId("sum") ValueState<Long> sum, OutputReceiver<String> out) {
      out.output(key + "=" + sum.read());
      sum.clear();
    }
  }

  /** Appends a key's values in timestamp order, per window, and says so. */
  static class InOrder extends DoFn<KV<String, Long>, String> {
    @StateId("seen")
    private final StateSpec<ValueState<String>> seenSpec = StateSpecs.value(StringUtf8Coder.of());

    @RequiresTimeSortedInput
    @ProcessElement
    public void process(
        @Element KV<String, Long> element,
        @StateId("seen") ValueState<String> seen,
        OutputReceiver<String> out) {
      String before = seen.read();
      String now = before == null ? "" + element.getValue() : before + "," + element.getValue();
      seen.write(now);
      out.output(element.getKey() + ":" + now);
    }
  }

  private static OperatorHarness open(StateBackend backend) throws Exception {
    return open(new SumUntilTen(), WindowingStrategy.globalDefault(), backend);
  }

  private static OperatorHarness open(
      DoFn<KV<String, Long>, String> fn, WindowingStrategy<?, ?> windowing, StateBackend backend)
      throws Exception {
    DoFnOperator.Spec<KV<String, Long>, String> spec =
        new DoFnOperator.Spec<>(
            fn,
            PipelineOptionsFactory.create(),
            KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()),
            MAIN,
            List.of(MAIN),
            Map.of(MAIN, StringUtf8Coder.of()),
            windowing,
            List.of(),
            DoFnSchemaInformation.create(),
            Map.of(),
            StringUtf8Coder.of(),
            backend,
            new MemoryBudget(1 << 20));
    JobMetrics metrics = new JobMetrics();
    return OperatorHarness.open(() -> new DoFnOperator<>(spec, metrics.forStep("sum")), 1, 1, true);
  }

  private static WindowedValue<KV<String, Long>> at(String key, long value, long millis) {
    return WindowedValue.timestampedValueInGlobalWindow(KV.of(key, value), new Instant(millis));
  }

  private static List<Object> values(List<Object> windowed) {
    return windowed.stream().<Object>map(e -> ((WindowedValue<?>) e).getValue()).toList();
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void stateAndTimersSurviveASnapshotRestoredIntoAFreshInstance(
      StateBackend backend, @TempDir Path dir) throws Exception {
    OperatorHarness harness = open(backend);
    harness.elements(0, at("a", 1, 2), at("a", 2, 3), at("b", 5, 4));
    assertThat("the timers' output timestamp holds the output", harness.watermark(0, 5), is(2L));
    assertThat(harness.emitted(0), empty());
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.elements(0, at("a", 100, 6)); // after the snapshot: gone with the instance
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      assertThat(restored.outputWatermark(), is(2L));
      restored.elements(0, at("b", 1, 7));
      assertThat(restored.watermark(0, 20), is(20L));
      assertThat(values(restored.take(0)), containsInAnyOrder("a=3", "b=6"));
      assertThat(restored.watermark(0, Watermarks.END), is(Watermarks.END));
      assertThat(restored.emitted(0), empty());
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void timersDueWhileTheOutputIsBlockedFireOnceItDrains(StateBackend backend) throws Exception {
    try (OperatorHarness harness = open(backend)) {
      harness.elements(0, at("a", 1, 2), at("b", 2, 2), at("c", 3, 2));
      harness.blockOutput(true);
      assertThat("nothing fired: still held by the timers", harness.watermark(0, 50), is(2L));
      assertThat(harness.emitted(0), empty());
      assertThat(harness.operator().hasPendingWork(), is(true));
      harness.blockOutput(false);
      assertThat(harness.continueWork(), greaterThan(0));
      harness.finishBundle();
      assertThat(values(harness.take(0)), containsInAnyOrder("a=1", "b=2", "c=3"));
      assertThat(harness.outputWatermark(), is(50L));
    }
  }

  private static WindowedValue<KV<String, Long>> inWindowOfTen(String key, long value) {
    long start = value / 10 * 10;
    return WindowedValue.of(
        KV.of(key, value),
        new Instant(value),
        new IntervalWindow(new Instant(start), new Instant(start + 10)),
        PaneInfo.NO_FIRING);
  }

  /**
   * Once its windows expired, a DoFn with time-sorted input leaves no state behind: a snapshot
   * holds what a fresh instance's does. (runners-core's own cleaner clears the DoFn's cells but not
   * the cell its sorting keeps per key and window.)
   */
  @ParameterizedTest
  @EnumSource(value = StateBackend.class, names = "MEMORY")
  void sortedInputLeavesNoStateOnceItsWindowsExpired(StateBackend backend, @TempDir Path dir)
      throws Exception {
    WindowingStrategy<?, ?> windowing = WindowingStrategy.of(FixedWindows.of(Duration.millis(10)));
    Path used = dir.resolve("used");
    Path fresh = dir.resolve("fresh");
    try (OperatorHarness harness = open(new InOrder(), windowing, backend)) {
      harness.elements(0, inWindowOfTen("a", 7), inWindowOfTen("a", 3), inWindowOfTen("b", 12));
      assertThat(harness.watermark(0, 100), is(100L));
      assertThat(values(harness.take(0)), containsInAnyOrder("a:3", "a:3,7", "b:12"));
      harness.snapshot(1, used);
    }
    try (OperatorHarness harness = open(new InOrder(), windowing, backend)) {
      harness.snapshot(1, fresh);
    }
    String file = KeyedStateStore.HEAP_SNAPSHOT_FILE;
    assertThat(
        "state left behind",
        Files.size(used.resolve("keyed-state").resolve(file)),
        is(Files.size(fresh.resolve("keyed-state").resolve(file))));
  }
}
