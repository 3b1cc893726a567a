package dev.millrace.benchmarks;

import dev.millrace.benchmarks.nexmark.Generator;
import dev.millrace.benchmarks.queries.Queries;
import dev.millrace.benchmarks.queries.Query;

/**
 * One measurement, in this JVM: a query over N events on one runner. Prints one {@code RESULT} line
 * that {@link BenchmarkSuite} parses. With {@code fixed-cost} as the query it instead times a
 * 1,000-event Q0 job three times in this JVM and reports the first (cold) and the last (warm).
 *
 * <p>Usage: {@code BenchmarkJob <runner> <query|fixed-cost> <events> <seed>}
 */
public final class BenchmarkJob {
  static final long FIXED_COST_EVENTS = 1_000;

  public static void main(String[] args) throws java.io.IOException {
    if (args.length != 4) {
      System.err.println("usage: BenchmarkJob <runner> <query|fixed-cost> <events> <seed>");
      System.exit(2);
    }
    String runner = args[0];
    long events = Long.parseLong(args[2]);
    long seed = Long.parseLong(args[3]);
    if (args[1].equals("fixed-cost")) {
      double cold = time(runner, Queries.byName("Q0"), FIXED_COST_EVENTS, seed).seconds;
      time(runner, Queries.byName("Q0"), FIXED_COST_EVENTS, seed);
      double warm = time(runner, Queries.byName("Q0"), FIXED_COST_EVENTS, seed).seconds;
      result(
          String.format(
              "RESULT runner=%s query=fixed-cost cold=%.4f warm=%.4f", runner, cold, warm));
      exit();
    }
    Query query = Queries.byName(args[1]);
    try (HeapSampler heap = new HeapSampler()) {
      Timed timed = time(runner, query, events, seed);
      result(
          String.format(
              "RESULT runner=%s query=%s events=%d seconds=%.4f checksum=%s peakHeapMb=%d"
                  + " heapAfterGcMb=%d",
              runner,
              query.name(),
              events,
              timed.seconds,
              timed.checksum,
              heap.peakBytes() >> 20,
              heap.peakAfterGcBytes() >> 20));
    }
    exit();
  }

  /**
   * Prints the result line, and writes it to {@code -Dbench.resultFile} when given: the suite reads
   * the file, since output an SDK harness writes at the same moment can land inside the printed
   * line.
   */
  private static void result(String line) throws java.io.IOException {
    System.out.println(line);
    String file = System.getProperty("bench.resultFile");
    if (file != null) {
      java.nio.file.Files.writeString(java.nio.file.Path.of(file), line + "\n");
    }
  }

  /** Runners may leave non-daemon threads behind (DirectRunner's pools); the result is out. */
  private static void exit() {
    System.out.flush();
    System.exit(0);
  }

  record Timed(double seconds, Checksum checksum) {}

  static Timed time(String runner, Query query, long events, long seed) {
    if (runner.equals("millrace-streaming-ui")) {
      UiScraper.startOnce();
    }
    long start = System.nanoTime();
    Checksum checksum =
        runner.equals(Runners.PLAIN)
            ? plain(query, events, seed)
            : BeamPipelines.run(query, events, seed, Runners.options(runner));
    return new Timed((System.nanoTime() - start) / 1e9, checksum);
  }

  /** The plain-Java column: one thread, events generated in order, no Beam. */
  static Checksum plain(Query query, long events, long seed) {
    Checksum checksum = new Checksum();
    Query.PlainQuery plain = query.plain();
    for (long i = 0; i < events; i++) {
      plain.accept(Generator.eventAt(seed, i), checksum::add);
    }
    plain.finish(checksum::add);
    return checksum;
  }
}
