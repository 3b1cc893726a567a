package dev.millrace.runner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.engine.checkpoint.CheckpointSettings;
import java.nio.file.Path;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** How the checkpoint options turn into a job's checkpoint settings. */
class CheckpointOptionsTest {

  private static MillracePipelineOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(MillracePipelineOptions.class);
  }

  @Test
  void aStreamingJobCheckpointsEveryTenSecondsByDefault() {
    CheckpointSettings settings =
        JobLauncher.checkpointSettings(options("--jobName=orders/eu"), true);
    assertThat(settings.intervalMillis(), is(JobLauncher.DEFAULT_STREAMING_CHECKPOINT_MILLIS));
    assertThat(
        settings.directory(),
        equalTo(
            Path.of(System.getProperty("java.io.tmpdir"), "millrace-checkpoints", "orders_eu")));
    assertThat(settings.toKeep(), is(2));
    assertThat(settings.maxRestarts(), is(3));
  }

  @Test
  void otherJobsTakeNoCheckpointsUnlessAskedTo() {
    assertThat(JobLauncher.checkpointSettings(options(), false).enabled(), is(false));
    CheckpointSettings asked =
        JobLauncher.checkpointSettings(
            options(
                "--checkpointingInterval=500",
                "--checkpointDir=/data/chk",
                "--jobName=j",
                "--maxRestarts=0"),
            false);
    assertThat(asked.intervalMillis(), is(500L));
    assertThat(asked.directory(), equalTo(Path.of("/data/chk", "j")));
    assertThat(asked.maxRestarts(), is(0));
  }

  @Test
  void zeroTurnsTheDefaultOff() {
    assertThat(
        JobLauncher.checkpointSettings(options("--checkpointingInterval=0"), true).enabled(),
        is(false));
  }

  @Test
  void badValuesAreRefusedByName() {
    IllegalArgumentException interval =
        assertThrows(
            IllegalArgumentException.class,
            () -> JobLauncher.checkpointSettings(options("--checkpointingInterval=-5"), true));
    assertThat(interval.getMessage(), containsString("--checkpointingInterval"));
    IllegalArgumentException kept =
        assertThrows(
            IllegalArgumentException.class,
            () -> JobLauncher.checkpointSettings(options("--checkpointsToKeep=0"), true));
    assertThat(kept.getMessage(), containsString("--checkpointsToKeep"));
  }
}
