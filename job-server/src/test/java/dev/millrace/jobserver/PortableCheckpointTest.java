package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

import dev.millrace.engine.checkpoint.CheckpointStorage;
import dev.millrace.engine.testing.Await;
import dev.millrace.runner.recovery.RecoveryPipeline;
import dev.millrace.runner.recovery.StableInputPipeline;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.beam.runners.portability.PortableRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A portable streaming job (unbounded source read by a splittable DoFn in the harness, keyed state,
 * a timer, a side input, a runner-side GroupByKey) checkpoints on the job server's side: cancelled
 * after a checkpoint and submitted again with the same job name and checkpoint directory, it
 * resumes and ends with the full result. A step that requires stable input gets its input replayed
 * from the checkpoint when the job restarts after a failure.
 */
@Timeout(180)
class PortableCheckpointTest {
  /** How long each wait may take; java.time's, as Await takes it (Duration here is Joda's). */
  private static final java.time.Duration WAIT = java.time.Duration.ofSeconds(120);

  private static final long RECORDS = 3000;

  @TempDir Path work;
  private MillraceJobServerDriver server;
  private String endpoint;

  @BeforeEach
  void start() throws Exception {
    server = MillraceJobServerDriver.onFreeLoopbackPorts();
    endpoint = server.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
  }

  private PipelineResult submit(Path output) {
    return submit(
        "portable-resume",
        pipeline -> RecoveryPipeline.buildWithResultsAtEnd(pipeline, output, RECORDS, 1000));
  }

  private PipelineResult submit(String jobName, Consumer<Pipeline> build) {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=" + PortableRunner.class.getName(),
                "--jobEndpoint=" + endpoint,
                "--defaultEnvironmentType=EMBEDDED",
                "--streaming",
                "--parallelism=2",
                "--jobName=" + jobName,
                "--checkpointingInterval=100",
                "--checkpointDir=" + work.resolve("checkpoints"))
            .create();
    Pipeline pipeline = Pipeline.create(options);
    build.accept(pipeline);
    return pipeline.run();
  }

  /** The highest id of a completed checkpoint of the job so far, 0 if none. */
  private long latestCompletedCheckpoint() {
    return new CheckpointStorage(work.resolve("checkpoints").resolve("portable-resume"), 1)
        .latestCompleted()
        .map(CheckpointStorage.CompletedCheckpoint::id)
        .orElse(0L);
  }

  @Test
  void aCancelledPortableJobResumesFromItsCheckpointWhenSubmittedAgain() throws Exception {
    Path output = work.resolve("output");
    RecoveryPipeline.READS_IN_THIS_JVM.set(0);
    PipelineResult first = submit(output);
    // Cancelled halfway, once a checkpoint taken after half the records were read has completed.
    Await.until(
        () ->
            RecoveryPipeline.READS_IN_THIS_JVM.get() >= RECORDS / 2
                || first.getState() != PipelineResult.State.RUNNING,
        WAIT,
        "half the records were read");
    assertThat(
        "the first run is still running", first.getState(), is(PipelineResult.State.RUNNING));
    long before = latestCompletedCheckpoint();
    Await.until(
        () ->
            latestCompletedCheckpoint() > before
                || first.getState() != PipelineResult.State.RUNNING,
        WAIT,
        "a checkpoint after checkpoint " + before + " completed");
    assertThat(
        "the first run is still running", first.getState(), is(PipelineResult.State.RUNNING));
    first.cancel();
    assertThat(
        first.waitUntilFinish(Duration.standardSeconds(60)), is(PipelineResult.State.CANCELLED));

    RecoveryPipeline.READS_IN_THIS_JVM.set(0);
    PipelineResult second = submit(output);
    assertThat(
        second.waitUntilFinish(Duration.standardSeconds(120)), is(PipelineResult.State.DONE));
    assertThat(RecoveryPipeline.results(output), equalTo(RecoveryPipeline.resultsAtEnd(RECORDS)));
    long reads = RecoveryPipeline.READS_IN_THIS_JVM.get();
    assertThat(
        "the second run resumed where the checkpoint was", reads, lessThan(RECORDS / 2 + 100));
    assertThat(reads, greaterThan(0L));
    // The checkpoint carries the stage's metrics: the resumed job counts every record once, though
    // it read only those after the checkpoint. (Beam's portable client reports attempted metrics
    // only; a resumed job that never failed attempted each record once.)
    assertThat(RecoveryPipeline.attemptedReads(second), is(RECORDS));
  }

  /**
   * The stable step's input is cut out of its stage and replayed from the checkpoint when the job
   * restarts after the tagging step (fused before it by the SDK's fuser, were it not for the cut)
   * failed.
   */
  @Test
  void aPortableStepThatRequiresStableInputSeesItReplayedNotRecomputed() throws Exception {
    PipelineResult result = submit("portable-stable-input", StableInputPipeline::build);
    assertThat(
        result.waitUntilFinish(Duration.standardSeconds(120)), is(PipelineResult.State.DONE));
    assertThat(
        "the tagging step failed once and the job restarted",
        StableInputPipeline.failures(),
        is(2));
    assertThat(
        StableInputPipeline.describeConflicts(), StableInputPipeline.conflicts().size(), is(0));
    assertThat((long) StableInputPipeline.seen(), is(StableInputPipeline.RECORDS));
  }
}
