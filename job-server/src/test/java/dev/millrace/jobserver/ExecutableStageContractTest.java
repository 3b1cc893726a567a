package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.Watermarks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A keyed portable stage through the operator contract, its user code in the embedded Java SDK
 * harness: state and timers kept on the runner's side survive a snapshot restored into a fresh
 * instance (with a harness of its own), timers hold the output watermark, and the output watermark
 * waits for the remote bundle to close.
 */
@Timeout(120)
class ExecutableStageContractTest {

  /**
   * Sums a key's values; an event-time timer at 10 emits the sum, holding the output until then.
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

  /** Impulse, then the stateful DoFn (a keyed stage of its own), then a runner-side GroupByKey. */
  private static RunnerApi.Pipeline pipeline(PipelineOptions options) {
    // Only translated, never run.
    options.setRunner(CrashingRunner.class);
    Pipeline p = Pipeline.create(options);
    p.apply(Impulse.create())
        .apply(
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via(bytes -> KV.of("a", 1L)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("Sum", ParDo.of(new SumUntilTen()))
        .apply(WithKeys.of("k"))
        .apply(GroupByKey.create());
    return PipelineTranslation.toProto(p);
  }

  private static WindowedValue<KV<String, Long>> at(String key, long value, long millis) {
    return WindowedValue.timestampedValueInGlobalWindow(KV.of(key, value), new Instant(millis));
  }

  private static List<Object> sums(List<Object> emitted) {
    List<Object> sums = new ArrayList<>();
    for (Object e : emitted) {
      sums.add(((KV<?, ?>) ((WindowedValue<?>) e).getValue()).getValue());
    }
    return sums;
  }

  @Test
  void stateAndTimersSurviveASnapshotRestoredIntoAFreshInstance(@TempDir Path dir)
      throws Exception {
    EmbeddedStages.withKeyedStage(
        "stage-contract",
        ExecutableStageContractTest::pipeline,
        stage -> {
          OperatorHarness harness =
              OperatorHarness.open(stage.factory(), stage.inputs(), stage.outputs(), true);
          harness.elements(0, at("a", 1, 2), at("a", 2, 3), at("b", 5, 4));
          assertThat(
              "the timers' output timestamps hold the output", harness.watermark(0, 5), is(2L));
          assertThat(harness.emitted(0), empty());
          InMemorySnapshot snapshot = harness.snapshot(1, dir);
          harness.elements(0, at("a", 100, 6)); // after the snapshot: gone with the instance
          try (OperatorHarness restored = harness.restoreFresh(snapshot, stage.outputs())) {
            assertThat(restored.outputWatermark(), is(2L));
            restored.elements(0, at("b", 1, 7));
            assertThat(restored.watermark(0, 20), is(20L));
            assertThat(sums(restored.take(0)), containsInAnyOrder("a=3", "b=6"));
            assertThat(restored.watermark(0, Watermarks.END), is(Watermarks.END));
            assertThat(restored.emitted(0), empty());
          }
        });
  }
}
