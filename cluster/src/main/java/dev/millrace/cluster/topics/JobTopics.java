package dev.millrace.cluster.topics;

import dev.millrace.plan.Edge;
import dev.millrace.plan.Plan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The Kafka topics of one job on a cluster of Millrace workers, by the job's plan:
 *
 * <ul>
 *   <li>one exchange topic per edge between workers, partitioned as {@link EdgePartitions} says (a
 *       HASH edge's has a partition per key group, named by the key group computed from the encoded
 *       key as in one process);
 *   <li>one compacted topic with one partition for the job's plan and options, which a worker
 *       started with only the broker's address and the job's name reads;
 *   <li>one compacted topic with one partition where each worker's transactions say which of its
 *       checkpoints they made durable ({@code CommitLog});
 *   <li>one compacted topic with a partition per worker holding the files of each worker's
 *       committed checkpoint ({@code CheckpointUpload}).
 * </ul>
 *
 * Names are {@code millrace.<job>.<kind>...}; a job's name must be a valid part of a topic name.
 */
public final class JobTopics {
  /** What a topic is for, and how it is made. */
  public record Topic(String name, int partitions, boolean compacted) {}

  private final String job;
  private final List<Topic> topics;

  private JobTopics(String job, List<Topic> topics) {
    this.job = job;
    this.topics = List.copyOf(topics);
  }

  /** The topics {@code plan} needs when run as {@code job} on {@code workers} workers. */
  public static JobTopics of(String job, Plan plan, int workers) {
    if (!job.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "job name '" + job + "' cannot name Kafka topics: use letters, digits, '.', '_' and '-'");
    }
    List<Topic> topics = new ArrayList<>();
    topics.add(new Topic(planTopic(job), 1, true));
    topics.add(new Topic(commitsTopic(job), 1, true));
    topics.add(new Topic(stateTopic(job), workers, true));
    for (Edge edge : plan.edges()) {
      if (EdgePartitions.isRemote(edge)) {
        topics.add(new Topic(edgeTopic(job, edge.id()), EdgePartitions.count(plan, edge), false));
      }
    }
    return new JobTopics(job, topics);
  }

  public static String planTopic(String job) {
    return "millrace." + job + ".plan";
  }

  /** Where each worker's transactions record the checkpoint they made durable. */
  public static String commitsTopic(String job) {
    return "millrace." + job + ".commits";
  }

  /**
   * Where each worker's committed checkpoints go, a partition per worker (see {@code
   * CheckpointUpload}), so a worker can resume on another machine.
   */
  public static String stateTopic(String job) {
    return "millrace." + job + ".state";
  }

  public static String edgeTopic(String job, int edge) {
    return "millrace." + job + ".edge." + edge;
  }

  public String job() {
    return job;
  }

  public List<Topic> topics() {
    return topics;
  }

  /**
   * Creates the topics that are missing. One that exists with another partition count belongs to
   * another plan (or parallelism) under the same job name, and is refused by name: its records
   * would land in the wrong key groups.
   */
  public void ensure(Admin admin) throws InterruptedException {
    List<NewTopic> missing = new ArrayList<>();
    Set<String> existing;
    try {
      existing = new HashSet<>(admin.listTopics().names().get());
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot list the broker's topics: " + e.getCause(), e);
    }
    for (Topic topic : topics) {
      if (!existing.contains(topic.name())) {
        NewTopic created = new NewTopic(topic.name(), topic.partitions(), (short) -1);
        if (topic.compacted()) {
          created.configs(
              Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        }
        missing.add(created);
      }
    }
    if (!missing.isEmpty()) {
      try {
        admin.createTopics(missing).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException(
              "cannot create the topics of job " + job + ": " + e.getCause(), e);
        }
        // Another worker of the job created them at the same moment: checked below.
      }
    }
    long deadline = System.currentTimeMillis() + METADATA_WAIT_MILLIS;
    checkPartitions(admin, deadline);
    awaitLeaders(admin, deadline);
  }

  /**
   * Waits until every partition's leader answers: right after creation the broker's metadata may
   * name a leader that still refuses requests, and every producer's first batches would be retried.
   */
  private void awaitLeaders(Admin admin, long deadline) throws InterruptedException {
    Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
    for (Topic topic : topics) {
      for (int p = 0; p < topic.partitions(); p++) {
        partitions.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
      }
    }
    while (true) {
      try {
        admin.listOffsets(partitions).all().get();
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException)
            || System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(
              "the partitions of job " + job + " have no leader that answers: " + e.getCause(), e);
        }
        Thread.sleep(50);
      }
    }
  }

  /** How long a topic just created may take to be known to the broker that answers. */
  static final long METADATA_WAIT_MILLIS = 30_000;

  private void checkPartitions(Admin admin, long deadline) throws InterruptedException {
    Map<String, TopicDescription> described = null;
    while (described == null) {
      try {
        described =
            admin.describeTopics(topics.stream().map(Topic::name).toList()).allTopicNames().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(
              "cannot describe the topics of job " + job + ": " + e.getCause(), e);
        }
        // Created a moment ago: the broker's metadata follows.
        Thread.sleep(50);
      }
    }
    for (Topic topic : topics) {
      int partitions = described.get(topic.name()).partitions().size();
      if (partitions != topic.partitions()) {
        throw new IllegalStateException(
            "topic "
                + topic.name()
                + " has "
                + partitions
                + " partitions where this plan needs "
                + topic.partitions()
                + ": it belongs to another plan of job "
                + job
                + "; give this one another job name, or remove the old job's topics");
      }
    }
  }

  /**
   * Removes the topics of a job every worker finished: its exchanges and its plan, which nothing
   * will read again. The commits topic stays (one empty partition; the workers' consumer groups
   * hold the commit log beside it), so a worker started again under the job's name learns its share
   * is done and runs nothing, rather than running the job again alone. Returns how many it removed.
   */
  public int removeFinished(Admin admin) throws InterruptedException {
    try {
      Set<String> existing = new HashSet<>(admin.listTopics().names().get());
      List<String> ours =
          topics.stream()
              .map(Topic::name)
              .filter(existing::contains)
              .filter(name -> !name.equals(commitsTopic(job)))
              .toList();
      if (!ours.isEmpty()) {
        admin.deleteTopics(ours).all().get();
      }
      return ours.size();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot remove the topics of job " + job + ": " + e.getCause(), e);
    }
  }
}
