package dev.millrace.runner.recovery;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.engine.checkpoint.CheckpointStorage;
import dev.millrace.engine.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A streaming job (unbounded source, keyed state, timers, a side input, a GroupByKey) killed with
 * SIGKILL at a random point and started again with the same job name and checkpoint directory ends
 * with exactly the output of a run that was never killed. Each run is a JVM of its own. With keyed
 * state in RocksDB (the streaming default) it is killed 10 times; on the heap, whose snapshot is
 * written by other code, 3 times.
 */
class KillAndResumeTest {
  private static final long RECORDS = 3000;
  private static final long PER_SECOND = 1000;
  private static final long RUN_TIMEOUT_SECONDS = 120;

  @TempDir Path work;
  private String stateBackend;

  @ParameterizedTest(name = "state in {0}, killed {1} times")
  @CsvSource({"rocksdb, 10", "memory, 3"})
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void aJobKilledAtRandomPointsAndResumedEndsWithTheOutputOfAnUninterruptedRun(
      String stateBackend, int kills) throws Exception {
    this.stateBackend = stateBackend;
    Path reference = work.resolve("reference");
    assertThat("the uninterrupted run succeeds", runToEnd(reference, "uninterrupted"), is(0));
    Map<String, String> expected = RecoveryPipeline.results(reference);
    // 30 one-second windows of 7 keys: a sum and a count each.
    assertThat(expected.size(), is(420));

    long seed = System.nanoTime();
    Random random = new Random(seed);
    int identical = 0;
    List<String> differences = new ArrayList<>();
    for (int kill = 0; kill < kills; kill++) {
      Path output = work.resolve("killed-" + kill);
      String job = "killed-" + kill;
      Process victim = start(output, job);
      // Killed at a random time after its first checkpoint completed, so there is one to resume.
      Await.until(
          () -> hasCompletedCheckpoint(job) || !victim.isAlive(),
          Duration.ofSeconds(RUN_TIMEOUT_SECONDS),
          "the run of " + job + " completed a checkpoint");
      assertThat(
          "the run of " + job + " is still alive after its first checkpoint",
          victim.isAlive(),
          is(true));
      long killAfterMillis = random.nextInt(1500);
      assertThat(
          job + " ended by itself, so it was not killed",
          victim.waitFor(killAfterMillis, TimeUnit.MILLISECONDS),
          is(false));
      victim.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
      victim.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertThat("the resumed run of " + job + " succeeds", runToEnd(output, job), is(0));
      String runs = Files.readString(log(job));
      assertThat(
          "the second run of " + job + " resumed from a checkpoint",
          runs.contains("resumes from checkpoint"),
          is(true));
      // Metrics are in the checkpoint: the resumed run counts what the killed one committed before
      // it, and what it redoes after it once.
      assertThat(
          job + "'s committed metrics",
          runs.contains("committed records read: " + RECORDS + "\n"),
          is(true));
      Map<String, String> actual = RecoveryPipeline.results(output);
      if (actual.equals(expected)) {
        identical++;
      } else {
        differences.add(
            job
                + " killed after "
                + killAfterMillis
                + " ms (seed "
                + seed
                + "): "
                + actual.size()
                + " results");
      }
    }
    assertThat(differences.toString(), identical, equalTo(kills));
    // Each killed JVM left its RocksDB directories; the run after it removed them.
    try (Stream<Path> left = Files.list(work.resolve("tmp"))) {
      assertThat(
          left.filter(dir -> dir.getFileName().toString().startsWith("millrace-")).toList(),
          empty());
    }
  }

  private boolean hasCompletedCheckpoint(String job) {
    return new CheckpointStorage(work.resolve("checkpoints").resolve(job), 1)
        .latestCompleted()
        .isPresent();
  }

  private Path log(String job) {
    return work.resolve(job + ".log");
  }

  private int runToEnd(Path output, String job) throws Exception {
    Process run = start(output, job);
    if (!run.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      run.destroyForcibly();
      throw new AssertionError(
          "the run of " + job + " did not end in " + RUN_TIMEOUT_SECONDS + " s");
    }
    return run.exitValue();
  }

  private Process start(Path output, String job) throws IOException {
    Path tmp = Files.createDirectories(work.resolve("tmp"));
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx256m");
    command.add("-Djava.io.tmpdir=" + tmp);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RecoveryPipeline.class.getName());
    command.add(output.toString());
    command.add(Long.toString(RECORDS));
    command.add(Long.toString(PER_SECOND));
    command.add("--streaming");
    command.add("--jobName=" + job);
    command.add("--checkpointingInterval=100");
    command.add("--checkpointDir=" + work.resolve("checkpoints"));
    command.add("--parallelism=2");
    command.add("--stateBackend=" + stateBackend);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log(job).toFile()))
        .start();
  }
}
