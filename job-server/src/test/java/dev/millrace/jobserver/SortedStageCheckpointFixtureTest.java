package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.engine.testing.TestFiles;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Watermarks;
import java.nio.file.Files;
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
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A keyed portable stage whose DoFn requires time-sorted input and listens for window expiry,
 * snapshotted by an earlier build with sorted input still pending and expiry timers set, kept in
 * {@code src/test/resources/stage-fixtures/sorted-input-1}, is restored by this build and ends with
 * the same output as a run that never stopped. If this fails after a change, that change broke
 * resuming portable jobs' checkpoints (the sort buffer's cells, the runner's timer ids); keep
 * reading what the fixture holds, or say why not.
 *
 * <p>The fixture was made by the build of {@code 0e15e7b}, whose stage kept sorted input and window
 * expiry in cells and timers of its own (now runners-core's), by running this test with {@code
 * -Dstage.fixture.write=DIR} and copying DIR into the resources.
 */
@Timeout(120)
class SortedStageCheckpointFixtureTest {
  private static final String FIXTURE = "/stage-fixtures/sorted-input-1";

  /** Appends each value of a key's window, in the order it sees them, and says so. */
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

    @OnWindowExpiration
    public void expired(@StateId("seen") ValueState<String> seen, OutputReceiver<String> out) {
      out.output("expired:" + seen.read());
    }
  }

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
        .apply(Window.into(FixedWindows.of(Duration.millis(10))))
        .apply("InOrder", ParDo.of(new InOrder()))
        .apply(WithKeys.of("k"))
        .apply(GroupByKey.create());
    return PipelineTranslation.toProto(p);
  }

  private static WindowedValue<KV<String, Long>> at(String key, long value) {
    long window = value / 10 * 10;
    return WindowedValue.of(
        KV.of(key, value),
        new Instant(value),
        new IntervalWindow(new Instant(window), new Instant(window + 10)),
        PaneInfo.NO_FIRING);
  }

  private static List<String> values(List<Object> emitted) {
    List<String> values = new ArrayList<>();
    for (Object e : emitted) {
      values.add((String) ((KV<?, ?>) ((WindowedValue<?>) e).getValue()).getValue());
    }
    return values;
  }

  /** Input out of time order; at watermark 5 what is up to 5 has gone out, in order. */
  private static OperatorHarness upToTheSnapshot(OperatorNode stage) throws Exception {
    OperatorHarness harness =
        OperatorHarness.open(stage.factory(), stage.inputs(), stage.outputs(), true);
    harness.elements(0, at("a", 7), at("a", 15), at("a", 5), at("b", 4), at("a", 3));
    harness.watermark(0, 5);
    assertThat(values(harness.take(0)), containsInAnyOrder("a:3", "a:3,5", "b:4"));
    return harness;
  }

  /** The rest, after the snapshot: sorted, and each window's expiry sees its whole state. */
  private static void afterTheSnapshot(OperatorHarness harness) throws Exception {
    harness.element(0, at("a", 6));
    assertThat(harness.watermark(0, Watermarks.END), is(Watermarks.END));
    List<String> a = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    for (String value : values(harness.take(0))) {
      (value.startsWith("a:") ? a : rest).add(value);
    }
    assertThat(a, contains("a:3,5,6", "a:3,5,6,7", "a:15"));
    assertThat(rest, containsInAnyOrder("expired:3,5,6,7", "expired:4", "expired:15"));
  }

  @Test
  void aRunThatNeverStopsSortsAndExpires() throws Exception {
    EmbeddedStages.withKeyedStage(
        "sorted-stage",
        SortedStageCheckpointFixtureTest::pipeline,
        stage -> {
          try (OperatorHarness harness = upToTheSnapshot(stage)) {
            afterTheSnapshot(harness);
          }
        });
  }

  @Test
  void aCheckpointOfAnEarlierBuildIsRestored(@TempDir Path dir) throws Exception {
    String write = System.getProperty("stage.fixture.write");
    EmbeddedStages.withKeyedStage(
        "sorted-stage",
        SortedStageCheckpointFixtureTest::pipeline,
        stage -> {
          OperatorHarness harness;
          InMemorySnapshot snapshot;
          if (write != null) {
            harness = upToTheSnapshot(stage);
            Path files = Path.of(write).resolve("files");
            snapshot = harness.snapshot(1, files);
            Files.write(Path.of(write).resolve("stream"), snapshot.toByteArray());
          } else {
            harness = OperatorHarness.open(stage.factory(), stage.inputs(), stage.outputs(), true);
            harness.watermark(0, 5);
            Path fixtureDir = Path.of(getClass().getResource(FIXTURE).toURI());
            TestFiles.copyTree(fixtureDir.resolve("files"), dir);
            byte[] stream = Files.readAllBytes(fixtureDir.resolve("stream"));
            InMemorySnapshot fixture = new InMemorySnapshot(1, dir);
            fixture.data().write(stream);
            snapshot = fixture;
          }
          try (OperatorHarness restored = harness.restoreFresh(snapshot, stage.outputs())) {
            afterTheSnapshot(restored);
          }
        });
  }
}
