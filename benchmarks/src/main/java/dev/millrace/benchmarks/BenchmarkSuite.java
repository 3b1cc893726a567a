package dev.millrace.benchmarks;

import dev.millrace.benchmarks.queries.Queries;
import dev.millrace.engine.checkpoint.Directories;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs every query on every runner, each measurement in its own JVM, one at a time, in rounds whose
 * runner order rotates, and prints a markdown table. A checksum that differs between runners fails
 * the run.
 *
 * <p>Options: {@code --quick} (small N, one round: a few minutes), {@code --full} (each query at
 * the N of {@link #FULL_EVENTS}, one round: about an hour), {@code --events=N}, {@code
 * --events-per-query=Q1=40000000,Q5=5000000} (overrides {@code --events} for those queries), {@code
 * --rounds=R}, {@code --runners=a,b}, {@code --queries=Q0,Q3}, {@code --direct-events=N}
 * (DirectRunner is slow; it gets its own N), {@code --seed=S}, {@code --job-timeout-seconds=T}.
 * {@code --state-checkpoint-mb=M} instead measures what checkpointing M MB of keyed state costs, in
 * one RocksDB and spread over {@code --state-checkpoint-dbs=K} (8) ({@link StateCheckpointCost}).
 */
public final class BenchmarkSuite {

  /**
   * N per query for {@code --full}: steady state for Millrace, which runs at least about 10 s on
   * two cores at these sizes, while the slowest Flink column stays within minutes. Queries whose
   * Flink streaming column is 20-60x slower than Millrace get a smaller N than the stateless ones.
   */
  static final String FULL_EVENTS =
      "Q0=20000000,Q1=40000000,Q2=40000000,Q3=20000000,Q5=5000000,Q7=8000000,Q8=20000000,"
          + "Q11=5000000,WC=20000000,TIMERS=10000000";

  /** One job's result; a job that failed or was killed has {@link #FAILED} as its checksum. */
  record Measurement(
      String runner,
      String query,
      long events,
      double seconds,
      String checksum,
      long peakHeapMb,
      long heapAfterGcMb) {
    static final String FAILED = "failed";

    double eventsPerSecond() {
      return failed() ? Double.NaN : events / seconds;
    }

    boolean failed() {
      return checksum.equals(FAILED);
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    if (options.containsKey("state-checkpoint-mb")) {
      StateCheckpointCost.main(
          new String[] {
            options.get("state-checkpoint-mb"), options.getOrDefault("state-checkpoint-dbs", "8")
          });
      return;
    }
    boolean quick = options.containsKey("quick");
    boolean full = options.containsKey("full");
    if (quick && full) {
      throw new IllegalArgumentException("--quick and --full exclude each other");
    }
    long events = Long.parseLong(options.getOrDefault("events", quick ? "100000" : "5000000"));
    long directEvents =
        Long.parseLong(options.getOrDefault("direct-events", quick ? "10000" : "100000"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", quick || full ? "1" : "3"));
    long seed = Long.parseLong(options.getOrDefault("seed", "42"));
    long timeout = Long.parseLong(options.getOrDefault("job-timeout-seconds", "900"));
    List<String> runners = list(options.get("runners"), Runners.all());
    List<String> queries = list(options.get("queries"), Queries.names());
    Map<String, Long> eventsPerQuery = new LinkedHashMap<>();
    for (String query : queries) {
      eventsPerQuery.put(query, events);
    }
    if (full) {
      eventsPerQuery.putAll(eventsPerQuery(FULL_EVENTS, queries));
    }
    eventsPerQuery.putAll(eventsPerQuery(options.get("events-per-query"), queries));

    List<Measurement> measurements = new ArrayList<>();
    Map<String, double[]> fixedCost = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (String query : queries) {
        for (int i = 0; i < runners.size(); i++) {
          String runner = runners.get((i + round) % runners.size());
          long n = runner.equals("direct") ? directEvents : eventsPerQuery.get(query);
          Measurement m;
          try {
            Map<String, String> result = runJob(runner, query, n, seed, timeout);
            m =
                new Measurement(
                    runner,
                    query,
                    n,
                    Double.parseDouble(result.get("seconds")),
                    result.get("checksum"),
                    Long.parseLong(result.get("peakHeapMb")),
                    Long.parseLong(result.getOrDefault("heapAfterGcMb", "-1")));
          } catch (IllegalStateException e) {
            // One runner failing one query must not cost the whole run its other measurements.
            System.err.println(e.getMessage());
            m = new Measurement(runner, query, n, Double.NaN, Measurement.FAILED, -1, -1);
          }
          System.err.printf(
              "round %d %-6s %-17s %,12.0f events/s  %s%n",
              round + 1, query, runner, m.eventsPerSecond(), m.checksum);
          measurements.add(m);
        }
      }
    }
    for (String runner : runners) {
      try {
        Map<String, String> result =
            runJob(runner, "fixed-cost", BenchmarkJob.FIXED_COST_EVENTS, seed, timeout);
        fixedCost.put(
            runner,
            new double[] {
              Double.parseDouble(result.get("cold")), Double.parseDouble(result.get("warm"))
            });
      } catch (IllegalStateException e) {
        System.err.println(e.getMessage());
        fixedCost.put(runner, new double[] {Double.NaN, Double.NaN});
      }
    }
    Report report =
        new Report(runners, queries, measurements, fixedCost, eventsPerQuery, directEvents, rounds);
    System.out.println(report.markdown());
    List<String> disagreements = report.disagreements();
    if (!disagreements.isEmpty()) {
      System.err.println("CHECKSUMS DISAGREE: " + disagreements);
    }
    long failed = measurements.stream().filter(Measurement::failed).count();
    if (failed > 0) {
      System.err.println(failed + " measurement(s) failed; see the messages above");
    }
    if (!disagreements.isEmpty() || failed > 0) {
      System.exit(1);
    }
  }

  /**
   * Runs one {@link BenchmarkJob} in a fresh JVM: with this JVM's class path, or for a Flink runner
   * with {@link FlinkClassPath}'s, so Flink's frocksdbjni and our rocksdbjni never meet.
   */
  static Map<String, String> runJob(
      String runner, String query, long events, long seed, long timeoutSeconds)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    String classPath =
        Runners.FLINK.contains(runner)
            ? FlinkClassPath.get()
            : Runners.IN_PROCESS_MILLRACE.contains(runner) || Runners.CLUSTER.contains(runner)
                ? MillraceClassPath.get()
                : System.getProperty("java.class.path");
    // Each job gets a temporary directory of its own, removed afterwards: Flink's mini-cluster
    // leaves its working directories and RPC jars in java.io.tmpdir, one set per job.
    Path tmp = Files.createTempDirectory("millrace-bench-job-");
    try {
      return runJob(java, classPath, tmp, runner, query, events, seed, timeoutSeconds);
    } finally {
      Directories.deleteRecursively(tmp);
    }
  }

  private static Map<String, String> runJob(
      Path java,
      String classPath,
      Path tmp,
      String runner,
      String query,
      long events,
      long seed,
      long timeoutSeconds)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-Xmx4g",
                "-Djava.io.tmpdir=" + tmp,
                "-Dbench.resultFile=" + tmp.resolve("result.txt"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                classPath));
    if (Runners.CLUSTER.contains(runner)) {
      command.add("-Dbench.kafka=" + LocalKafka.address());
    }
    command.addAll(
        List.of(
            BenchmarkJob.class.getName(),
            runner,
            query,
            Long.toString(events),
            Long.toString(seed)));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    // A hung job must fail this measurement, not hang the suite: kill it at the deadline.
    Thread watchdog =
        new Thread(
            () -> {
              try {
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                  // SIGTERM first, so the job's shutdown hooks remove its temporary state.
                  process.destroy();
                  if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                  }
                }
              } catch (InterruptedException e) {
                // the job ended first
              }
            },
            "job-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    String resultLine = null;
    StringBuilder tail = new StringBuilder();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("RESULT ")) {
          resultLine = line;
        } else {
          tail.append(line).append('\n');
          if (tail.length() > 20_000) {
            tail.delete(0, tail.length() - 10_000);
          }
        }
      }
    }
    process.waitFor();
    watchdog.interrupt();
    Path resultFile = tmp.resolve("result.txt");
    if (Files.exists(resultFile)) {
      resultLine = Files.readString(resultFile).strip();
    }
    if (resultLine == null) {
      throw new IllegalStateException(
          runner
              + " "
              + query
              + " failed (exit "
              + process.exitValue()
              + ", killed after "
              + timeoutSeconds
              + " s if it ran that long):\n"
              + tail);
    }
    Map<String, String> fields = new HashMap<>();
    for (String field : resultLine.substring("RESULT ".length()).split(" ")) {
      int eq = field.indexOf('=');
      fields.put(field.substring(0, eq), field.substring(eq + 1));
    }
    return fields;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("Unexpected argument " + arg);
      }
      int eq = arg.indexOf('=');
      options.put(
          eq < 0 ? arg.substring(2) : arg.substring(2, eq), eq < 0 ? "" : arg.substring(eq + 1));
    }
    return options;
  }

  /** Parses {@code Q1=40000000,Q5=5000000}, keeping only the queries this run measures. */
  static Map<String, Long> eventsPerQuery(String value, List<String> queries) {
    Map<String, Long> result = new LinkedHashMap<>();
    if (value == null || value.isEmpty()) {
      return result;
    }
    for (String pair : value.split(",")) {
      String[] parts = pair.split("=");
      if (parts.length != 2 || !Queries.names().contains(parts[0])) {
        throw new IllegalArgumentException(
            "--events-per-query wants QUERY=N pairs of known queries, got " + pair);
      }
      if (queries.contains(parts[0])) {
        result.put(parts[0], Long.parseLong(parts[1]));
      }
    }
    return result;
  }

  private static List<String> list(String value, List<String> all) {
    return value == null ? all : Arrays.asList(value.split(","));
  }
}
