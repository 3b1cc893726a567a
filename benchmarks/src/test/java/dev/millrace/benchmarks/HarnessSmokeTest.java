package dev.millrace.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.benchmarks.queries.Queries;
import dev.millrace.benchmarks.queries.Query;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The benchmark harness at a tiny N: every runner agrees with plain Java on every query. */
class HarnessSmokeTest {
  private static final long EVENTS = 3_000;
  private static final long SEED = 7;

  static List<String> queries() {
    return Queries.names();
  }

  @ParameterizedTest
  @MethodSource("queries")
  @Timeout(120)
  void everyRunnerAgreesWithPlainJava(String name) {
    Query query = Queries.byName(name);
    Checksum expected = BenchmarkJob.plain(query, EVENTS, SEED);
    assertThat(name + " produces output", expected.count(), greaterThan(0L));
    for (String runner : Runners.BEAM) {
      if (runner.equals("millrace-portable") && name.equals("TIMERS")) {
        // Its MapState is not kept per key by Beam 2.62's Java SDK harness (see
        // results/2026-12-03-portable.md); the runner cannot fix that. Nothing else is skipped.
        continue;
      }
      assertThat(
          name + " on " + runner,
          BenchmarkJob.time(runner, query, EVENTS, SEED).checksum(),
          equalTo(expected));
    }
  }

  @Test
  void aDifferentSeedGivesADifferentChecksum() {
    Query q0 = Queries.byName("Q0");
    assertThat(
        BenchmarkJob.plain(q0, EVENTS, SEED).equals(BenchmarkJob.plain(q0, EVENTS, SEED + 1)),
        equalTo(false));
  }

  @Test
  @Timeout(120)
  void aJobRunsInItsOwnJvmAndReportsOneResultLine() throws Exception {
    Map<String, String> result = BenchmarkSuite.runJob("millrace", "Q2", EVENTS, SEED, 100);
    assertThat(
        result.get("checksum"),
        equalTo(BenchmarkJob.plain(Queries.byName("Q2"), EVENTS, SEED).toString()));
    assertThat(Double.parseDouble(result.get("seconds")) > 0, equalTo(true));
    assertThat(Long.parseLong(result.get("heapAfterGcMb")) >= 0, equalTo(true));
  }

  @Test
  void theReportFlagsRunnersThatDisagree() {
    List<BenchmarkSuite.Measurement> measurements =
        List.of(
            new BenchmarkSuite.Measurement("plain-java", "Q1", 10, 1.0, "5:a", 1, 1),
            new BenchmarkSuite.Measurement("millrace", "Q1", 10, 0.5, "5:a", 3, 2),
            new BenchmarkSuite.Measurement("plain-java", "Q2", 10, 1.0, "5:b", 1, 1),
            new BenchmarkSuite.Measurement("millrace", "Q2", 10, 0.5, "4:b", 1, 1));
    Report report =
        new Report(
            List.of("plain-java", "millrace"),
            List.of("Q1", "Q2"),
            measurements,
            Map.of(),
            Map.of("Q1", 10L, "Q2", 10L),
            10,
            1);
    assertThat(report.disagreements(), hasSize(1));
    assertThat(report.disagreements().get(0), containsString("Q2"));
    assertThat(report.markdown(), containsString("| Q1 | 10 | 10 | 20 | 200.0% | 5:a |"));
    assertThat(report.markdown(), containsString("after a garbage collection"));
    assertThat(report.markdown(), containsString("| Q1 | 1 | 2 |"));
    assertThat(report.markdown(), containsString("| Q1 | 1 | 3 |"));
    List<BenchmarkSuite.Measurement> withFailure =
        List.of(
            new BenchmarkSuite.Measurement("plain-java", "Q1", 10, 1.0, "5:a", 1, 1),
            new BenchmarkSuite.Measurement(
                "millrace", "Q1", 10, Double.NaN, BenchmarkSuite.Measurement.FAILED, -1, -1));
    Report failing =
        new Report(
            List.of("plain-java", "millrace"),
            List.of("Q1"),
            withFailure,
            Map.of(),
            Map.of("Q1", 10L),
            10,
            1);
    assertThat(failing.disagreements(), empty());
    assertThat(failing.markdown(), containsString("| Q1 | 10 | 10 | failed | - | 5:a |"));
    Report agreeing =
        new Report(
            List.of("plain-java", "millrace"),
            List.of("Q1"),
            measurements,
            Map.of(),
            Map.of("Q1", 10L, "Q2", 10L),
            10,
            1);
    assertThat(agreeing.disagreements(), empty());
  }

  @Test
  void eachQueryCanHaveItsOwnN() {
    assertThat(
        BenchmarkSuite.eventsPerQuery("Q1=40000000,Q5=5000", List.of("Q1", "Q2")),
        equalTo(Map.of("Q1", 40_000_000L)));
    assertThat(
        BenchmarkSuite.eventsPerQuery(BenchmarkSuite.FULL_EVENTS, Queries.names()).keySet(),
        equalTo(Set.copyOf(Queries.names())));
    assertThrows(
        IllegalArgumentException.class,
        () -> BenchmarkSuite.eventsPerQuery("Q99=5", List.of("Q1")));
    assertThrows(
        IllegalArgumentException.class, () -> BenchmarkSuite.eventsPerQuery("Q1", List.of("Q1")));
  }
}
