package dev.millrace.translation.operators.dofn;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Vertex;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.TranslationOptions;
import dev.millrace.translation.java.PipelineTranslator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A splittable DoFn's process step through the operator contract: a restriction that stops early
 * leaves a residual in keyed state, which holds the output watermark, survives a snapshot restored
 * into a fresh instance, and resumes there when its delay has passed.
 */
class SplittableProcessContractTest {

  /** Emits the offsets of its element's range two at a time, resuming after 100 ms in between. */
  static class TwoAtATime extends DoFn<String, Long> {
    @GetInitialRestriction
    public OffsetRange initial(@Element String element) {
      return new OffsetRange(0, element.length());
    }

    @ProcessElement
    public ProcessContinuation process(
        RestrictionTracker<OffsetRange, Long> tracker, OutputReceiver<Long> out) {
      OffsetRange range = tracker.currentRestriction();
      for (long i = range.getFrom(); tracker.tryClaim(i); i++) {
        out.output(i);
        if (i - range.getFrom() == 1 && i + 1 < range.getTo()) {
          return ProcessContinuation.resume().withResumeDelay(Duration.millis(100));
        }
      }
      return ProcessContinuation.stop();
    }
  }

  /** The process step of a small pipeline's splittable DoFn, as the Java translator makes it. */
  private static OperatorNode processStep() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class); // only translated, never run
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of("abcdef")).apply(ParDo.of(new TwoAtATime()));
    TranslatedJob job =
        new PipelineTranslator(new TranslationOptions(options, 1, true, "memory")).translate(p);
    for (Vertex vertex : job.plan().vertices()) {
      for (OperatorNode node : vertex.operators()) {
        if (node.factory().create() instanceof SplittableProcessOperator) {
          return node;
        }
      }
    }
    throw new AssertionError("no splittable process step in\n" + job.plan().explain());
  }

  private static List<Object> values(List<Object> windowed) {
    List<Object> values = new ArrayList<>();
    for (Object e : windowed) {
      values.add(((WindowedValue<?>) e).getValue());
    }
    return values;
  }

  @Test
  void aResidualHoldsTheWatermarkSurvivesARestoreAndResumesWhenDue(@TempDir Path dir)
      throws Exception {
    OperatorNode step = processStep();
    OperatorHarness harness =
        OperatorHarness.open(step.factory(), step.inputs(), step.outputs(), true);
    harness.context().setProcessingTime(1_000);
    harness.element(
        0,
        WindowedValue.of(
            KV.of(new byte[] {1}, KV.of("abcdef", new OffsetRange(0, 6))),
            new Instant(5),
            GlobalWindow.INSTANCE,
            PaneInfo.NO_FIRING));
    harness.finishBundle();
    assertThat(values(harness.take(0)), contains(0L, 1L));
    // The DoFn keeps no watermark estimate: its residual holds the output at the beginning of time.
    assertThat("the residual holds the output", harness.watermark(0, 50), is(Watermarks.MIN));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    try (OperatorHarness restored = harness.restoreFresh(snapshot, step.outputs())) {
      restored.processingTime(1_050);
      assertThat("not due yet", restored.emitted(0), empty());
      restored.processingTime(1_200);
      restored.finishBundle();
      assertThat(values(restored.take(0)), contains(2L, 3L));
      restored.processingTime(1_400);
      restored.finishBundle();
      assertThat(values(restored.take(0)), contains(4L, 5L));
      assertThat("nothing left to hold", restored.outputWatermark(), is(50L));
    }
  }
}
