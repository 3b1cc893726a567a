package dev.millrace.cluster.worker;

import dev.millrace.cluster.exchange.KafkaExchange;
import dev.millrace.cluster.topics.JobTopics;
import dev.millrace.engine.ExecutionSettings;
import dev.millrace.engine.JobExecution;
import dev.millrace.plan.Plan;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Runs one worker's share of a job spread over several through Kafka: makes sure the job's topics
 * exist, then runs the subtasks its slot owns, exchanging with the other workers through the job's
 * topics.
 */
public final class ClusterWorker {
  private ClusterWorker() {}

  /** Worker {@code index} of {@code count}: subtask s of every vertex runs in slot s % count. */
  public record Slot(int index, int count) implements KafkaExchange.Placement {
    public Slot {
      if (count < 1 || index < 0 || index >= count) {
        throw new IllegalArgumentException(
            "worker slot " + index + " of " + count + ": slots are 0 to count - 1");
      }
    }

    @Override
    public boolean runsHere(int vertex, int subtask) {
      return subtask % count == index;
    }
  }

  /** Starts the worker's share of {@code plan}; {@code kafka} holds the brokers' address. */
  public static JobExecution start(
      Map<String, Object> kafka, String job, Plan plan, Slot slot, ExecutionSettings settings)
      throws InterruptedException {
    JobTopics topics = JobTopics.of(job, plan);
    try (Admin admin = Admin.create(adminConfig(kafka))) {
      topics.ensure(admin);
    }
    String worker = job + "-w" + slot.index();
    return JobExecution.start(
        plan, worker, settings, new KafkaExchange(job, plan, slot, kafka, worker));
  }

  private static Map<String, Object> adminConfig(Map<String, Object> kafka) {
    return Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
  }
}
