package dev.millrace.runner.recovery;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.MillraceRunner;
import java.nio.file.Path;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DoFn annotated {@code @RequiresStableInput} after a nondeterministic step sees each record with
 * one tag only, even though the job fails and restarts from a checkpoint: what it was given before
 * the failure is replayed from the checkpoint, never recomputed. Without the annotation, the
 * records between the checkpoint and the failure reach it twice, tagged by each attempt (see {@link
 * StableInputPipeline}).
 */
class RequiresStableInputTest {
  @TempDir Path work;

  @Test
  @Timeout(120)
  void aRestartedJobReplaysWhatTheStableStepSawInsteadOfRecomputingIt() throws Exception {
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--streaming",
                "--jobName=stable-input",
                "--parallelism=2",
                "--checkpointingInterval=100",
                "--checkpointDir=" + work.resolve("checkpoints"))
            .as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    StableInputPipeline.build(pipeline);
    MillracePipelineResult result = (MillracePipelineResult) pipeline.run();

    assertThat(result.waitUntilFinish(Duration.standardSeconds(90)), is(PipelineResult.State.DONE));
    assertThat(result.restarts(), is(1));
    assertThat(
        StableInputPipeline.describeConflicts(), StableInputPipeline.conflicts().size(), is(0));
    assertThat(
        "every record reached the stable step",
        (long) StableInputPipeline.seen(),
        is(StableInputPipeline.RECORDS));
  }
}
