package dev.millrace.runner.cluster;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.cluster.topics.CommitLog;
import dev.millrace.engine.checkpoint.Directories;
import dev.millrace.engine.testing.Await;
import dev.millrace.runner.recovery.RecoveryPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once through a worker's death: three worker processes run the recovery pipeline (an
 * unbounded source, keyed state with event-time timers, a side input, a GroupByKey, an idempotent
 * file sink) as one job through a real broker; one is killed with SIGKILL at a random point after
 * it committed its fourth checkpoint and started again in its slot, in the build without its
 * checkpoint directory (as on another machine: its state comes back from the job's state topic).
 * The results equal a single process's, and the workers' committed "records read" add up to exactly
 * the records.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class WorkerKillTest extends OnTestBroker {
  private static final long RECORDS = 12_000;
  private static final long PER_SECOND = 2_000;
  private static final long RUN_TIMEOUT_SECONDS = 180;
  private static final int WORKERS = 3;

  @TempDir Path work;

  /**
   * How many jobs to run, each with one worker killed (worker k % 3 in job k): 1 in the build, more
   * with {@code -Dmillrace.clusterKills=N} (the README's "Running on several machines").
   */
  private static final int KILLS = Integer.getInteger("millrace.clusterKills", 1);

  /**
   * Which checkpoint the victim has committed when it is killed ({@code
   * -Dmillrace.clusterKillAfterCommits}): a few in, when it has read from its partitions, its
   * committed positions matter (a worker resuming once read everything again from the start,
   * doubling its keys' results; killed after its first commit, having read nothing, it did not
   * show).
   */
  private static final long KILL_AFTER_COMMITS =
      Long.getLong("millrace.clusterKillAfterCommits", 4);

  /** The single-process run's results, made by the first test that needs them. */
  private static Map<String, String> reference;

  private Map<String, String> reference() throws Exception {
    if (reference == null) {
      Path output = work.resolve("reference");
      Process single = start(output, "reference", List.of("--jobName=reference"));
      assertThat("the single-process run succeeds", finish(single, "reference"), is(0));
      Map<String, String> results = RecoveryPipeline.results(output);
      // Record x's event time is 10x ms: one-second windows of 100 records, 7 keys, a sum and a
      // count each.
      assertThat(results.size(), is(2 * 7 * (int) (RECORDS / 100)));
      reference = results;
    }
    return reference;
  }

  @Test
  void aBrokerRestartedMidJobLosesAndRepeatsNothing() throws Exception {
    Map<String, String> expected = reference();
    String job = "broker-restart";
    Path output = work.resolve(job);
    List<Process> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      workers.add(start(output, worker(job, w), clusterArgs(job, w)));
    }
    Await.until(
        () ->
            CommitLog.latest(
                        Map.of("bootstrap.servers", broker.bootstrapServers()), job, worker(job, 0))
                    .isPresent()
                || !workers.get(0).isAlive(),
        Duration.ofSeconds(RUN_TIMEOUT_SECONDS),
        worker(job, 0) + " committed a checkpoint");
    assertThat(worker(job, 0) + " still runs", workers.get(0).isAlive(), is(true));
    broker.restart(Duration.ofSeconds(3));
    assertThat(job + ": committed records read", finishAll(job, workers), is(RECORDS));
    assertThat(RecoveryPipeline.results(output), equalTo(expected));
    String logs = "";
    for (int w = 0; w < WORKERS; w++) {
      logs += Files.readString(log(worker(job, w)));
    }
    assertThat("the workers saw the broker go", logs, containsString("Node may not be available"));
  }

  @Test
  void aWorkerKilledMidJobAndStartedAgainLosesAndRepeatsNothing() throws Exception {
    Map<String, String> expected = reference();

    long seed = System.nanoTime();
    Random random = new Random(seed);
    List<String> report = new ArrayList<>();
    int identical = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      int victim = kill % WORKERS;
      long killAfterMillis = random.nextInt(1500);
      boolean diskLost = kill % 2 == 0;
      Map<String, String> results = runKilling("killed-" + kill, victim, killAfterMillis, diskLost);
      String round =
          "job killed-"
              + kill
              + ": worker "
              + victim
              + " killed "
              + killAfterMillis
              + " ms after it committed checkpoint "
              + KILL_AFTER_COMMITS
              + (diskLost ? ", its checkpoints removed" : "")
              + " (seed "
              + seed
              + ")";
      if (results.equals(expected)) {
        identical++;
        System.out.println(round + ": identical");
      } else {
        String difference = difference(expected, results);
        report.add(
            round + ": " + results.size() + " results, not the " + expected.size() + difference);
        System.out.println(round + ": DIFFERENT" + difference);
      }
    }
    assertThat(report.toString(), identical, is(KILLS));
  }

  /** The first entries where {@code actual} differs from {@code expected}. */
  private static String difference(Map<String, String> expected, Map<String, String> actual) {
    List<String> lines = new ArrayList<>();
    new java.util.TreeSet<>(expected.keySet())
        .forEach(
            key -> {
              if (!expected.get(key).equals(actual.get(key)) && lines.size() < 10) {
                lines.add(
                    key + ": " + actual.get(key) + " where one process has " + expected.get(key));
              }
            });
    actual.keySet().stream()
        .filter(key -> !expected.containsKey(key))
        .limit(5)
        .forEach(
            key -> lines.add(key + ": " + actual.get(key) + " that one process does not have"));
    return "; " + String.join("; ", lines);
  }

  /**
   * Runs {@code job} on three workers, kills {@code victim} with SIGKILL {@code killAfterMillis}
   * after it committed checkpoint {@link #KILL_AFTER_COMMITS}, starts it again (when {@code
   * diskLost}, without its checkpoint directory), and returns the results once all ended.
   */
  private Map<String, String> runKilling(
      String job, int victim, long killAfterMillis, boolean diskLost) throws Exception {
    Path output = work.resolve(job);
    List<Process> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      workers.add(start(output, worker(job, w), clusterArgs(job, w)));
    }
    String victimName = worker(job, victim);
    Await.until(
        () ->
            CommitLog.latest(
                        Map.of("bootstrap.servers", broker.bootstrapServers()), job, victimName)
                    .map(entry -> entry.checkpointId() >= KILL_AFTER_COMMITS)
                    .orElse(false)
                || !workers.get(victim).isAlive(),
        Duration.ofSeconds(RUN_TIMEOUT_SECONDS),
        victimName + " committed " + KILL_AFTER_COMMITS + " checkpoints");
    assertThat(
        victimName + " ended by itself, so it was not killed",
        workers.get(victim).waitFor(killAfterMillis, TimeUnit.MILLISECONDS),
        is(false));
    workers.get(victim).destroyForcibly(); // SIGKILL: no shutdown hook, no finally
    workers.get(victim).waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (diskLost) {
      Directories.deleteRecursively(work.resolve("checkpoints").resolve(victimName));
    }
    workers.set(victim, start(output, victimName, clusterArgs(job, victim)));

    long committedReads = finishAll(job, workers);
    String victimLog = Files.readString(log(victimName));
    assertThat(
        "the second run of " + victimName + " resumed its committed checkpoint",
        victimLog,
        containsString("resumes from checkpoint"));
    if (diskLost) {
      assertThat(
          "the second run of " + victimName + " fetched its checkpoint from the state topic",
          victimLog,
          containsString("fetched checkpoint"));
      Matcher fetched = Pattern.compile("fetched checkpoint .*").matcher(victimLog);
      if (fetched.find()) {
        System.out.println(victimName + " " + fetched.group());
      }
    }
    assertThat(job + ": committed records read over all workers", committedReads, is(RECORDS));
    return RecoveryPipeline.results(output);
  }

  /**
   * Waits for every worker of {@code job} to end well; returns their committed reads' sum. A
   * failure carries the end of every worker's log: one stuck worker holds the others up.
   */
  private long finishAll(String job, List<Process> workers) throws Exception {
    try {
      return finishEach(job, workers);
    } catch (AssertionError e) {
      // None outlives the test: the ones still running wait for the one that failed.
      workers.forEach(Process::destroyForcibly);
      StringBuilder tails = new StringBuilder(e.getMessage());
      for (int w = 0; w < WORKERS; w++) {
        List<String> lines =
            Files.readAllLines(log(worker(job, w))).stream()
                .filter(line -> !line.contains("Sender - "))
                .toList();
        tails.append("\n--- last lines of ").append(worker(job, w)).append(" ---\n");
        tails.append(
            String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      }
      throw new AssertionError(tails.toString(), e);
    }
  }

  private long finishEach(String job, List<Process> workers) throws Exception {
    long committedReads = 0;
    for (int w = 0; w < WORKERS; w++) {
      int exit = finish(workers.get(w), worker(job, w));
      if (exit != 0) {
        throw new AssertionError(
            worker(job, w)
                + " failed (exit "
                + exit
                + "):\n"
                + Files.readString(log(worker(job, w))));
      }
      committedReads += committedReads(worker(job, w));
    }
    return committedReads;
  }

  private static String worker(String job, int w) {
    return job + "-w" + w;
  }

  private List<String> clusterArgs(String job, int w) {
    return List.of(
        "--clusterBootstrap=" + broker.bootstrapServers(),
        "--clusterJob=" + job,
        "--clusterWorker=" + w,
        "--clusterWorkers=" + WORKERS);
  }

  /** The last "committed records read" a worker's runs printed (the resumed run's counts all). */
  private long committedReads(String name) throws IOException {
    Matcher matcher =
        Pattern.compile("committed records read: (\\d+)").matcher(Files.readString(log(name)));
    long last = -1;
    while (matcher.find()) {
      last = Long.parseLong(matcher.group(1));
    }
    assertThat(name + " printed its committed reads", last >= 0, is(true));
    return last;
  }

  private Path log(String name) {
    return work.resolve(name + ".log");
  }

  private int finish(Process run, String name) throws Exception {
    if (!run.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      run.destroyForcibly();
      throw new AssertionError(
          "the run of "
              + name
              + " did not end in "
              + RUN_TIMEOUT_SECONDS
              + " s:\n"
              + Files.readString(log(name)));
    }
    return run.exitValue();
  }

  private Process start(Path output, String name, List<String> args) throws IOException {
    Path tmp = Files.createDirectories(work.resolve("tmp"));
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx256m");
    command.add("-Djava.io.tmpdir=" + tmp);
    command.add("-Dorg.slf4j.simpleLogger.log.dev.millrace.cluster.shaded.kafka=warn");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RecoveryPipeline.class.getName());
    command.add(output.toString());
    command.add(Long.toString(RECORDS));
    command.add(Long.toString(PER_SECOND));
    command.add("--streaming");
    command.add("--checkpointingInterval=300");
    command.add("--checkpointDir=" + work.resolve("checkpoints"));
    command.add("--parallelism=" + WORKERS);
    // -Dmillrace.clusterBackend=memory runs the same with state on the heap.
    command.add("--stateBackend=" + System.getProperty("millrace.clusterBackend", "rocksdb"));
    command.add("--consoleProgress=false");
    command.addAll(args);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log(name).toFile()))
        .start();
  }
}
