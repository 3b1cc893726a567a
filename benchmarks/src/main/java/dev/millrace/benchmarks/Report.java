package dev.millrace.benchmarks;

import dev.millrace.benchmarks.BenchmarkSuite.Measurement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongBiFunction;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/** Turns the measurements of one suite run into its markdown table. */
final class Report {
  private final List<String> runners;
  private final List<String> queries;
  private final List<Measurement> measurements;
  private final Map<String, double[]> fixedCost;
  private final Map<String, Long> eventsPerQuery;
  private final long directEvents;
  private final int rounds;

  Report(
      List<String> runners,
      List<String> queries,
      List<Measurement> measurements,
      Map<String, double[]> fixedCost,
      Map<String, Long> eventsPerQuery,
      long directEvents,
      int rounds) {
    this.runners = runners;
    this.queries = queries;
    this.measurements = measurements;
    this.fixedCost = fixedCost;
    this.eventsPerQuery = eventsPerQuery;
    this.directEvents = directEvents;
    this.rounds = rounds;
  }

  /** Median events/s of a runner on a query, or NaN if it was not measured. */
  double throughput(String runner, String query) {
    List<Double> values =
        measurements.stream()
            .filter(m -> m.runner().equals(runner) && m.query().equals(query) && !m.failed())
            .map(Measurement::eventsPerSecond)
            .sorted()
            .collect(Collectors.toList());
    return values.isEmpty() ? Double.NaN : values.get(values.size() / 2);
  }

  long peakHeap(String runner, String query) {
    return maxOver(runner, query, Measurement::peakHeapMb);
  }

  long heapAfterGc(String runner, String query) {
    return maxOver(runner, query, Measurement::heapAfterGcMb);
  }

  private long maxOver(String runner, String query, ToLongFunction<Measurement> value) {
    return measurements.stream()
        .filter(m -> m.runner().equals(runner) && m.query().equals(query))
        .mapToLong(value)
        .max()
        .orElse(-1);
  }

  /** A table of one figure per query (rows) and runner (columns), under {@code title}. */
  private void appendPerRunner(
      StringBuilder out, String title, ToLongBiFunction<String, String> figure) {
    out.append('\n').append(title).append("\n\n| Query |");
    runners.forEach(r -> out.append(' ').append(r).append(" |"));
    out.append("\n|---|");
    runners.forEach(r -> out.append("---:|"));
    out.append('\n');
    for (String query : queries) {
      out.append("| ").append(query).append(" |");
      runners.forEach(r -> out.append(' ').append(figure.applyAsLong(r, query)).append(" |"));
      out.append('\n');
    }
  }

  /** Queries whose runners did not all produce one checksum, with what each produced. */
  List<String> disagreements() {
    List<String> problems = new ArrayList<>();
    for (String query : queries) {
      // DirectRunner runs a different N, so it is checked against nothing but itself.
      Set<String> main = new LinkedHashSet<>();
      Set<String> direct = new LinkedHashSet<>();
      for (Measurement m : measurements) {
        if (m.query().equals(query) && !m.failed()) {
          (m.events() == eventsPerQuery.get(query) ? main : direct)
              .add(m.runner() + "=" + m.checksum());
        }
      }
      if (main.stream().map(s -> s.substring(s.indexOf('=') + 1)).distinct().count() > 1
          || direct.stream().map(s -> s.substring(s.indexOf('=') + 1)).distinct().count() > 1) {
        problems.add(query + " " + main + " " + direct);
      }
    }
    return problems;
  }

  String markdown() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Events per second (median of %d round%s; N events per query%s).%n%n",
            rounds,
            rounds == 1 ? "" : "s",
            runners.contains("direct")
                ? String.format(Locale.ROOT, ", DirectRunner N = %,d", directEvents)
                : ""));
    out.append("| Query | N |");
    runners.forEach(r -> out.append(' ').append(r).append(" |"));
    List<String[]> ratios = ratioColumns();
    ratios.forEach(r -> out.append(' ').append(r[0]).append(" |"));
    out.append(" checksum (lines:sum) |\n|---|---:|");
    runners.forEach(r -> out.append("---:|"));
    ratios.forEach(r -> out.append("---:|"));
    out.append("---|\n");
    List<String> disagreements = disagreements();
    for (String query : queries) {
      out.append("| ")
          .append(query)
          .append(String.format(Locale.ROOT, " | %,d |", eventsPerQuery.get(query)));
      for (String runner : runners) {
        double throughput = throughput(runner, query);
        boolean failed =
            measurements.stream()
                .anyMatch(m -> m.failed() && m.runner().equals(runner) && m.query().equals(query));
        out.append(
            Double.isNaN(throughput)
                ? (failed ? " failed |" : " - |")
                : String.format(Locale.ROOT, " %,.0f |", throughput));
      }
      for (String[] ratio : ratios) {
        double r = throughput(ratio[1], query) / throughput(ratio[2], query);
        out.append(
            Double.isNaN(r)
                ? " - |"
                : String.format(
                    Locale.ROOT,
                    ratio[3].equals("%") ? " %.1f%% |" : " %.2fx |",
                    ratio[3].equals("%") ? 100 * r : r));
      }
      String checksum =
          measurements.stream()
              .filter(
                  m ->
                      m.query().equals(query)
                          && m.events() == eventsPerQuery.get(query)
                          && !m.failed())
              .map(Measurement::checksum)
              .findFirst()
              .orElse("-");
      out.append(' ')
          .append(checksum)
          .append(
              disagreements.stream().anyMatch(d -> d.startsWith(query + " "))
                  ? " **DISAGREE**"
                  : "")
          .append(" |\n");
    }
    appendPerRunner(out, "Peak heap used (MB, max over rounds):", this::peakHeap);
    appendPerRunner(
        out,
        "Heap left after a garbage collection (MB, the most over the run and rounds): what the"
            + " job keeps on the heap, with its state; the peak above counts garbage too:",
        this::heapAfterGc);
    out.append(
        "\nFixed cost: a 1,000-event Q0 job, seconds in-process (first job of a fresh JVM / third):\n\n");
    out.append("| Runner | cold | warm |\n|---|---:|---:|\n");
    fixedCost.forEach(
        (runner, t) ->
            out.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", runner, t[0], t[1])));
    return out.toString();
  }

  /**
   * {title, numerator runner, denominator runner, "%" or "x"} for each ratio both sides measured.
   */
  private List<String[]> ratioColumns() {
    List<String[]> columns = new ArrayList<>();
    String[][] wanted = {
      {"millrace ÷ flink-batch", "millrace", "flink-batch", "x"},
      {
        "millrace-rocksdb ÷ flink-streaming-rocksdb",
        "millrace-rocksdb",
        "flink-streaming-rocksdb",
        "x"
      },
      {
        "millrace-streaming ÷ flink-streaming-rocksdb",
        "millrace-streaming",
        "flink-streaming-rocksdb",
        "x"
      },
      {"millrace-portable ÷ millrace", "millrace-portable", "millrace", "%"},
      {
        "millrace-cluster-1 ÷ millrace-streaming-chk1s",
        "millrace-cluster-1",
        "millrace-streaming-chk1s",
        "%"
      },
      {"millrace ÷ direct", "millrace", "direct", "x"},
      {"millrace ÷ plain-java", "millrace", Runners.PLAIN, "%"},
    };
    for (String[] w : wanted) {
      if (runners.contains(w[1]) && runners.contains(w[2])) {
        columns.add(w);
      }
    }
    return columns;
  }
}
