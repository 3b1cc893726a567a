package dev.millrace.cluster.worker;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.engine.ExecutionSettings;
import dev.millrace.engine.JobExecution;
import dev.millrace.engine.JobStatus;
import dev.millrace.engine.testing.KeyedSumPlan;
import dev.millrace.plan.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
