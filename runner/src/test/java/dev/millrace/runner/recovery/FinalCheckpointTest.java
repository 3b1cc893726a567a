package dev.millrace.runner.recovery;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.MillraceRunner;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only a completed checkpoint lets go of is let go of when a job ends, though no checkpoint
 * falls due before it does (the interval is an hour): the job takes one more checkpoint once its
 * input ended. The source's last marks are finalized, bundle finalizers run, and a step that
 * requires stable input gets the rest of its input. It holds for a drained job too.
 */
class FinalCheckpointTest {
  private static final AtomicLong CALLBACKS = new AtomicLong();
  private static final AtomicLong STABLE_RECORDS = new AtomicLong();

  @TempDir Path work;

  /** Asks to hear of every bundle's finalization. */
  static final class FinalizedBundles extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long x, BundleFinalizer finalizer, OutputReceiver<Long> out) {
      finalizer.afterBundleCommit(
          Instant.now().plus(Duration.standardMinutes(5)), CALLBACKS::incrementAndGet);
      out.output(x);
    }
  }

  static final class CountsStableInput extends DoFn<Long, Void> {
    @ProcessElement
    @RequiresStableInput
    public void process(@Element Long x) {
      STABLE_RECORDS.incrementAndGet();
    }
  }

  private MillracePipelineResult run(String jobName, long records, long perSecond) {
    ThrottledCountingSource.FINALIZED_UP_TO.set(0);
    CALLBACKS.set(0);
    STABLE_RECORDS.set(0);
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--streaming",
                "--jobName=" + jobName,
                "--parallelism=2",
                "--checkpointingInterval=3600000",
                "--checkpointDir=" + work.resolve("checkpoints"))
            .as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(Read.from(new ThrottledCountingSource(records, perSecond)))
        .apply("Finalized", ParDo.of(new FinalizedBundles()))
        .apply("Stable", ParDo.of(new CountsStableInput()));
    return (MillracePipelineResult) pipeline.run();
  }

  @Test
  @Timeout(60)
  void aJobWhoseInputEndsTakesOneLastCheckpointAndLetsGoOfEverything() throws Exception {
    MillracePipelineResult result = run("input-ends", 2000, 20_000);
    assertThat(result.waitUntilFinish(Duration.standardSeconds(50)), is(PipelineResult.State.DONE));
    assertThat(result.completedCheckpoints(), is(1L));
    assertThat(
        "the last mark is finalized", ThrottledCountingSource.FINALIZED_UP_TO.get(), is(2000L));
    assertThat("bundle finalizers ran", CALLBACKS.get(), greaterThan(0L));
    assertThat("the stable step got all its input", STABLE_RECORDS.get(), is(2000L));
  }

  @Test
  @Timeout(60)
  void aDrainedJobFinalizesWhatItReadBeforeItEnds() throws Exception {
    MillracePipelineResult result = run("drained", Long.MAX_VALUE, 2000);
    // Reads for a while; no checkpoint falls due, so nothing is finalized or passed on yet.
    Thread.sleep(500);
    assertThat(STABLE_RECORDS.get(), is(0L));
    assertThat(result.drain(Duration.standardSeconds(50)), is(PipelineResult.State.DONE));
    long finalized = ThrottledCountingSource.FINALIZED_UP_TO.get();
    assertThat("what was read is acknowledged", finalized, greaterThan(0L));
    assertThat("and reached the stable step, all of it", STABLE_RECORDS.get(), is(finalized));
    assertThat(finalized, lessThan(Long.MAX_VALUE));
  }
}
