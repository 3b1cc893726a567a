package dev.millrace.cluster.worker;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.cluster.testing.NoBroker;
import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.cluster.topics.JobTopics;
import dev.millrace.cluster.topics.JobTopicsTest;
import dev.millrace.engine.ExecutionSettings;
import dev.millrace.engine.JobExecution;
import dev.millrace.engine.JobStatus;
import dev.millrace.engine.testing.KeyedSumPlan;
import dev.millrace.plan.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A job spread over worker slots exchanging through a real broker computes what one JVM does. */
@Timeout(180)
class SpreadJobTest extends OnTestBroker {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private Map<String, Object> kafka() {
    return Map.of("bootstrap.servers", broker.bootstrapServers());
  }

  @Test
  void threeWorkersSumWhatOneJvmDoes() throws Exception {
    KeyedSumPlan alone = new KeyedSumPlan(200_000, 101, 4, 5, 16);
    JobExecution single = JobExecution.start(alone.build(), "alone", ExecutionSettings.defaults());
    assertThat(single.await(WAIT), is(JobStatus.DONE));

    KeyedSumPlan spread = new KeyedSumPlan(200_000, 101, 4, 5, 16);
    Plan plan = spread.build();
    List<JobExecution> workers = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      workers.add(
          ClusterWorker.start(
              kafka(), "sums", plan, new ClusterWorker.Slot(w, 3), ExecutionSettings.defaults()));
    }
    for (JobExecution worker : workers) {
      assertThat(
          String.valueOf(worker.failure()) + " " + worker.figures(),
          worker.await(WAIT),
          is(JobStatus.DONE));
    }
    assertThat(spread.sums(), equalTo(alone.sums()));
    assertThat(spread.sums(), equalTo(spread.expected()));
  }

  @Test
  void aFinishedJobsTopicsGoAndAWorkerStartedAgainRunsNothing() throws Exception {
    KeyedSumPlan first = new KeyedSumPlan(20_000, 13, 2, 4, 16);
    Plan plan = first.build();
    List<JobExecution> workers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      workers.add(
          ClusterWorker.start(
              kafka(), "done", plan, new ClusterWorker.Slot(w, 2), ExecutionSettings.defaults()));
    }
    for (JobExecution worker : workers) {
      assertThat(String.valueOf(worker.failure()), worker.await(WAIT), is(JobStatus.DONE));
    }
    assertThat(first.sums(), equalTo(first.expected()));
    // The last to finish removed the exchange and plan topics; the commit log stays.
    Set<String> commitLog = Set.of(JobTopics.commitsTopic("done"));
    try (Admin admin = broker.admin()) {
      assertThat(JobTopicsTest.awaitTopics(admin, "millrace.done.", commitLog), equalTo(commitLog));
    }

    // Started again (a restart by a supervisor, or the same job name given twice): its share is
    // done, so it runs nothing and makes no topics again.
    KeyedSumPlan again = new KeyedSumPlan(20_000, 13, 2, 4, 16);
    JobExecution restarted =
        ClusterWorker.start(
            kafka(),
            "done",
            again.build(),
            new ClusterWorker.Slot(1, 2),
            ExecutionSettings.defaults());
    assertThat(String.valueOf(restarted.failure()), restarted.await(WAIT), is(JobStatus.DONE));
    assertThat(again.sums().isEmpty(), is(true));
    try (Admin admin = broker.admin()) {
      Set<String> left = new TreeSet<>(admin.listTopics().names().get());
      left.removeIf(t -> !t.startsWith("millrace.done."));
      assertThat(left, equalTo(commitLog));
    }
  }

  @Test
  void aBrokerThatDoesNotAnswerIsAClearErrorAfterAskingAgain() throws Exception {
    String address = NoBroker.address();
    long start = System.nanoTime();
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () ->
                ClusterWorker.join(
                    Map.of("bootstrap.servers", address),
                    "nobroker",
                    new KeyedSumPlan(10, 2, 1, 1, 8).build(),
                    new ClusterWorker.Slot(0, 1),
                    new byte[0],
                    Map.of(),
                    false,
                    Duration.ofSeconds(3)));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertThat(refused.getMessage(), containsString("no Kafka broker answered at " + address));
    assertThat(refused.getMessage(), containsString("within 3 s"));
    assertThat(tookMillis, greaterThanOrEqualTo(3_000L));
    assertThat(tookMillis, lessThan(15_000L));
  }

  @Test
  void anAddressThatNamesNoHostIsRefusedAtOnce() {
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ClusterWorker.join(
                    Map.of("bootstrap.servers", "no-such-host.invalid:9092"),
                    "nohost",
                    new KeyedSumPlan(10, 2, 1, 1, 8).build(),
                    new ClusterWorker.Slot(0, 1),
                    new byte[0],
                    Map.of(),
                    false,
                    Duration.ofSeconds(30)));
    assertThat(refused.getMessage(), containsString("'no-such-host.invalid:9092' cannot be used"));
  }

  @Test
  void oneWorkerAloneRunsTheWholeJobThroughTheBroker() throws Exception {
    KeyedSumPlan spread = new KeyedSumPlan(10_000, 7, 2, 3, 8);
    JobExecution worker =
        ClusterWorker.start(
            kafka(),
            "alone",
            spread.build(),
            new ClusterWorker.Slot(0, 1),
            ExecutionSettings.defaults());
    assertThat(String.valueOf(worker.failure()), worker.await(WAIT), is(JobStatus.DONE));
    assertThat(spread.sums(), equalTo(spread.expected()));
  }
}
