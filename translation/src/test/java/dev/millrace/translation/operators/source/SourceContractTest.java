package dev.millrace.translation.operators.source;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.metrics.JobMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.CountingSource;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.util.WindowedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sources through the operator contract: each emits within the bound it is given, its output
 * watermark ends with its input, and a fresh instance restored from a snapshot goes on where the
 * snapshot was taken, neither losing nor repeating a record.
 */
class SourceContractTest {

  private static List<Object> values(List<Object> windowed) {
    List<Object> values = new ArrayList<>();
    for (Object e : windowed) {
      values.add(((WindowedValue<?>) e).getValue());
    }
    return values;
  }

  private static List<Object> longs(long from, long to) {
    return LongStream.range(from, to).<Object>mapToObj(Long::valueOf).toList();
  }

  @Test
  void aBoundedReadRestoredFromASnapshotGoesOnAfterTheRecordsItHadRead(@TempDir Path dir)
      throws Exception {
    JobMetrics metrics = new JobMetrics();
    OperatorHarness harness =
        OperatorHarness.open(
            () ->
                new BoundedReadOperator<>(
                    List.of(CountingSource.upTo(10)),
                    PipelineOptionsFactory.create(),
                    metrics.forStep("read")),
            0,
            1,
            true);
    assertThat(harness.emit(4), is(SourceOperator.Status.ACTIVE));
    assertThat(values(harness.take(0)), is(longs(0, 4)));
    assertThat(harness.outputWatermark(), is(Watermarks.MIN));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.emit(3); // after the snapshot: read again by the restored instance
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      assertThat(restored.emit(100), is(SourceOperator.Status.DONE));
      assertThat(values(restored.take(0)), is(longs(4, 10)));
      assertThat(restored.outputWatermark(), is(Watermarks.END));
    }
  }

  @Test
  void anUnboundedReadRestoredFromASnapshotResumesFromItsCheckpointMark(@TempDir Path dir)
      throws Exception {
    JobMetrics metrics = new JobMetrics();
    OperatorHarness harness =
        OperatorHarness.open(
            () ->
                new UnboundedReadOperator<>(
                    List.of(CountingSource.unbounded()),
                    PipelineOptionsFactory.create(),
                    metrics.forStep("read")),
            0,
            1,
            true);
    assertThat(harness.emit(5), is(SourceOperator.Status.ACTIVE));
    assertThat(values(harness.take(0)), is(longs(0, 5)));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    harness.checkpointComplete(1);
    harness.emit(5);
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      assertThat(restored.emit(3), is(SourceOperator.Status.ACTIVE));
      assertThat(values(restored.take(0)), is(longs(5, 8)));
    }
  }

  @Test
  void anImpulseEmitsOnceOnSubtaskZeroAndNotAgainAfterARestore(@TempDir Path dir) throws Exception {
    OperatorHarness harness = OperatorHarness.open(ImpulseOperator::new, 0, 1, true);
    assertThat(harness.emit(10), is(SourceOperator.Status.DONE));
    assertThat(harness.take(0), hasSize(1));
    assertThat(harness.outputWatermark(), is(Watermarks.END));
    InMemorySnapshot snapshot = harness.snapshot(1, dir);
    try (OperatorHarness restored = harness.restoreFresh(snapshot, 1)) {
      assertThat(restored.emit(10), is(SourceOperator.Status.DONE));
      assertThat(restored.emitted(0), empty());
      assertThat(restored.outputWatermark(), is(Watermarks.END));
    }
  }

  @Test
  void aTestStreamEmitsItsElementsAndWatermarksInOrder() throws Exception {
    TestStream<String> stream =
        TestStream.create(StringUtf8Coder.of())
            .addElements("a", "b")
            .advanceWatermarkTo(new Instant(5))
            .addElements("c")
            .advanceWatermarkToInfinity();
    try (OperatorHarness harness =
        OperatorHarness.open(() -> new TestStreamOperator<>(stream.getEvents()), 0, 1, false)) {
      List<Long> watermarks = new ArrayList<>();
      for (int turn = 0; turn < 10 && harness.outputWatermark() < Watermarks.END; turn++) {
        harness.emit(100);
        harness.finishBundle();
        watermarks.add(harness.outputWatermark());
      }
      assertThat(values(harness.take(0)), contains("a", "b", "c"));
      assertThat(watermarks.get(watermarks.size() - 1), is(Watermarks.END));
      assertThat(watermarks.contains(5L), is(true));
    }
  }
}
