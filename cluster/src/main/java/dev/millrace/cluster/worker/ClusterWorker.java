package dev.millrace.cluster.worker;

import dev.millrace.cluster.exchange.KafkaExchange;
import dev.millrace.cluster.topics.CommitLog;
import dev.millrace.cluster.topics.JobDefinition;
import dev.millrace.cluster.topics.JobTopics;
import dev.millrace.cluster.topics.PlanTopic;
import dev.millrace.engine.ExecutionSettings;
import dev.millrace.engine.JobExecution;
import dev.millrace.engine.PlanFingerprint;
import dev.millrace.engine.RemoteExchange;
import dev.millrace.plan.Plan;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's share of a job spread over several through Kafka. Before it runs anything it makes
 * sure the job's topics exist and that the job's plan topic names the same plan as its own (the
 * first worker publishes it; one whose plan differs is refused, naming both fingerprints), then it
 * runs the subtasks its slot owns, exchanging with the other workers through the job's topics.
 */
public final class ClusterWorker {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterWorker.class);

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

    /**
     * The worker's name in job {@code job}: its transactional id, consumer group, checkpoint
     * directory and threads carry it, the same each time the slot starts again.
     */
    public String workerName(String job) {
      return job + "-w" + index;
    }
  }

  /** How long a worker started by {@link #start} waits for its broker to answer. */
  public static final Duration DEFAULT_BROKER_WAIT = Duration.ofSeconds(30);

  /**
   * Joins job {@code job} on the brokers {@code kafka} names with {@code plan}, built from {@code
   * pipeline} (its bytes, for the plan topic) and {@code options}; returns the exchanges each
   * attempt of the worker's share runs with, transactional when {@code exactlyOnce} (the job takes
   * checkpoints). A broker that does not answer within {@code brokerWait} is an error naming it,
   * before anything of the job is made. A worker whose share finished before makes nothing and runs
   * nothing.
   */
  public static Supplier<RemoteExchange> join(
      Map<String, Object> kafka,
      String job,
      Plan plan,
      Slot slot,
      byte[] pipeline,
      Map<String, String> options,
      boolean exactlyOnce,
      Duration brokerWait)
      throws InterruptedException {
    long start = System.nanoTime();
    JobTopics topics = JobTopics.of(job, plan, slot.count());
    Brokers.awaitAnswer(kafka, brokerWait);
    Runnable shareFinished = () -> removeTopicsOnceAllFinished(kafka, topics, slot);
    String name = slot.workerName(job);
    // Not waiting for a commit in flight: this worker's last run may have died inside one, and
    // only the exchange, once it has fenced that run, can wait for it.
    if (CommitLog.finishedAsFarAsCommitted(kafka, job, name)) {
      LOG.warn(
          "Worker {} of job {} finished its share before: it runs nothing (to run the job again,"
              + " give it another job name)",
          slot.index(),
          job);
      return () ->
          new KafkaExchange(job, plan, slot, kafka, name, exactlyOnce, slot.index(), shareFinished);
    }
    try (Admin admin = Admin.create(adminConfig(kafka))) {
      topics.ensure(admin);
    }
    long topicsReady = System.nanoTime();
    String fingerprint = PlanFingerprint.of(plan);
    Properties clients = new Properties();
    clients.putAll(kafka);
    PlanTopic planTopic = new PlanTopic(clients, job);
    planTopic.publish(new JobDefinition(pipeline, options, fingerprint));
    // Read back: of two workers that published different plans at the same moment, the one whose
    // plan is not the topic's latest is refused here.
    planTopic.readFor(fingerprint, Duration.ofSeconds(30));
    long joined = System.nanoTime();
    LOG.info(
        "Worker {} of {} joined job {} (plan {}) on {} in {} ms ({} ms for its {} topics)",
        slot.index(),
        slot.count(),
        job,
        fingerprint,
        kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG),
        (joined - start) / 1_000_000,
        (topicsReady - start) / 1_000_000,
        topics.topics().size());
    return () ->
        new KafkaExchange(job, plan, slot, kafka, name, exactlyOnce, slot.index(), shareFinished);
  }

  /**
   * Run by each worker once its share finished: the last to finish finds every share done and
   * removes the job's exchange and plan topics. Two finishing at once may both remove them, which
   * is harmless; the commit log each wrote before looking means the last one always sees all.
   */
  private static void removeTopicsOnceAllFinished(
      Map<String, Object> kafka, JobTopics topics, Slot slot) {
    String job = topics.job();
    try (Admin admin = Admin.create(adminConfig(kafka))) {
      for (int w = 0; w < slot.count(); w++) {
        String worker = new Slot(w, slot.count()).workerName(job);
        if (!CommitLog.latest(admin, job, worker).map(CommitLog.Entry::finished).orElse(false)) {
          return;
        }
      }
      int removed = topics.removeFinished(admin);
      if (removed > 0) {
        LOG.info(
            "Job {} finished on all {} workers: removed its {} topics", job, slot.count(), removed);
      }
    } catch (RuntimeException e) {
      // The job's result stands; what is left costs only disk until removed by hand.
      LOG.warn("Job {} finished, but its topics could not be removed: {}", job, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Joins the job and starts the worker's share of {@code plan} at once (for tests and tools). */
  public static JobExecution start(
      Map<String, Object> kafka, String job, Plan plan, Slot slot, ExecutionSettings settings)
      throws InterruptedException {
    Supplier<RemoteExchange> exchanges =
        join(
            kafka,
            job,
            plan,
            slot,
            new byte[0],
            Map.of(),
            settings.checkpoints().enabled(),
            DEFAULT_BROKER_WAIT);
    return JobExecution.start(plan, slot.workerName(job), settings, exchanges.get());
  }

  private static Map<String, Object> adminConfig(Map<String, Object> kafka) {
    return Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
  }
}
