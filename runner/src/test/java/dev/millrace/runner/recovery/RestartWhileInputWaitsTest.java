package dev.millrace.runner.recovery;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.MillraceRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollectionView;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Main input that waits for a side input (spilled to disk, state in RocksDB) goes into the
 * checkpoints taken while it waits as links to its spill files, and a job restarted from one of
 * them gets it back: every record comes out once the side input is there.
 */
class RestartWhileInputWaitsTest {
  private static final long RECORDS = 300;
  private static final AtomicInteger FAILURES = new AtomicInteger();
  private static final AtomicBoolean SAW_SPILLED_CHECKPOINT = new AtomicBoolean();
  private static final Set<Long> OUTPUT = new ConcurrentSkipListSet<>();
  private static volatile Path checkpoints;

  @TempDir Path work;

  /** Multiplies by the side input; fails once, at its first record, once the side input came. */
  static final class MultiplyFailingOnce extends DoFn<Long, Long> {
    private final PCollectionView<Long> multiplier;

    MultiplyFailingOnce(PCollectionView<Long> multiplier) {
      this.multiplier = multiplier;
    }

    @ProcessElement
    public void process(@Element Long x, ProcessContext c) {
      if (FAILURES.get() == 0) {
        SAW_SPILLED_CHECKPOINT.set(aCompletedCheckpointHoldsSpilledInput());
        FAILURES.incrementAndGet();
        throw new IllegalStateException("fails once, as the side input arrives");
      }
      c.output(x * c.sideInput(multiplier));
    }
  }

  static final class Collect extends DoFn<Long, Void> {
    @ProcessElement
    public void process(@Element Long x) {
      OUTPUT.add(x);
    }
  }

  private static boolean aCompletedCheckpointHoldsSpilledInput() {
    try (Stream<Path> files = Files.walk(checkpoints)) {
      return files.anyMatch(
          path ->
              path.getFileName().toString().startsWith("segment-")
                  && path.getParent().getFileName().toString().equals("waiting-input"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  @Timeout(120)
  void waitingMainInputIsCheckpointedAsItsSpillFilesAndComesBackOnRestart() throws Exception {
    FAILURES.set(0);
    SAW_SPILLED_CHECKPOINT.set(false);
    OUTPUT.clear();
    checkpoints = work.resolve("checkpoints");
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--streaming",
                "--jobName=input-waits",
                "--parallelism=1",
                "--stateBackend=rocksdb",
                "--checkpointingInterval=100",
                "--checkpointDir=" + checkpoints)
            .as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    // Record 1 of this source comes a second after record 0: the side input is ready only then.
    PCollectionView<Long> multiplier =
        pipeline
            .apply("Slow side", Read.from(new ThrottledCountingSource(2, 1)))
            .apply(Filter.equal(1L))
            // One pane, once the side source ended (GroupByKey wants a trigger said).
            .apply(
                Window.<Long>into(new GlobalWindows())
                    .triggering(AfterWatermark.pastEndOfWindow())
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes())
            .apply(View.asSingleton());
    pipeline
        .apply("Main", Read.from(new ThrottledCountingSource(RECORDS, 1000)))
        .apply(ParDo.of(new MultiplyFailingOnce(multiplier)).withSideInputs(multiplier))
        .apply(ParDo.of(new Collect()));
    MillracePipelineResult result = (MillracePipelineResult) pipeline.run();

    assertThat(result.waitUntilFinish(Duration.standardSeconds(90)), is(PipelineResult.State.DONE));
    assertThat(result.restarts(), is(1));
    assertThat(
        "a checkpoint before the failure held the waiting input as spill files",
        SAW_SPILLED_CHECKPOINT.get(),
        is(true));
    Set<Long> expected = new TreeSet<>();
    for (long x = 0; x < RECORDS; x++) {
      expected.add(x);
    }
    assertThat(new TreeSet<>(OUTPUT), equalTo(expected));
  }
}
