package dev.millrace.runner.recovery;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

import dev.millrace.engine.testing.TestFiles;
import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.MillraceRunner;
import java.nio.file.Path;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint written by an earlier build, kept in {@code src/test/resources/checkpoint-fixtures}
 * (format 1: metadata, subtask snapshots, RocksDB keyed state, an unbounded source's mark, side
 * inputs), is read by this build: the job resumes from it and ends with the full result. If this
 * fails after a change, that change broke resuming the checkpoints of jobs already running; bump
 * {@code CheckpointMetadata.FORMAT_VERSION} and keep reading the old format, or say why not.
 *
 * <p>The fixture was made by running {@link RecoveryPipeline} with {@code
 * -Drecovery.resultsAtEnd=true}, 3000 records at 1000/s, {@code --streaming --jobName=fixture
 * --parallelism=2 --checkpointingInterval=200}, killing it with SIGKILL a second after its first
 * checkpoint, and copying its latest completed checkpoint.
 */
class CheckpointFixtureTest {
  private static final long RECORDS = 3000;

  @TempDir Path work;

  @Test
  @Timeout(120)
  void aCheckpointOfFormatOneIsResumedByThisBuild() throws Exception {
    Path checkpoints = work.resolve("checkpoints");
    TestFiles.copyTree(
        Path.of(getClass().getResource("/checkpoint-fixtures/format-1").toURI()), checkpoints);
    Path output = work.resolve("output");
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--streaming",
                "--jobName=fixture",
                "--parallelism=2",
                "--checkpointingInterval=200",
                "--checkpointDir=" + checkpoints)
            .as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    RecoveryPipeline.buildWithResultsAtEnd(pipeline, output, RECORDS, 1000);
    MillracePipelineResult result = (MillracePipelineResult) pipeline.run();
    assertThat(result.waitUntilFinish(Duration.standardSeconds(60)), is(PipelineResult.State.DONE));

    assertThat(RecoveryPipeline.results(output), equalTo(RecoveryPipeline.resultsAtEnd(RECORDS)));
    MetricResult<Long> reads =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(RecoveryPipeline.class, "records read"))
                    .build())
            .getCounters()
            .iterator()
            .next();
    assertThat("it resumed where the checkpoint was", reads.getCommitted(), lessThan(RECORDS));
    assertThat(reads.getCommitted(), greaterThan(0L));
  }
}
