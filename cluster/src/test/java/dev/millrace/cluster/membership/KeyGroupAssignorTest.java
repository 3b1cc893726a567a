package dev.millrace.cluster.membership;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.cluster.topics.JobTopics;
import dev.millrace.cluster.topics.JobTopicsTest;
import dev.millrace.plan.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Workers of one job as one consumer group on a real broker, assigned by key group. */
@Timeout(120)
class KeyGroupAssignorTest extends OnTestBroker {

  /** One worker: a consumer polling on its own thread, its assignment as the listener saw it. */
  static final class Worker implements AutoCloseable {
    final String name;
    final Map<String, TreeSet<Integer>> assignments;
    private final Thread thread;
    private volatile boolean stop;

    Worker(String name, List<String> topics, Map<String, TreeSet<Integer>> assignments) {
      this.name = name;
      this.assignments = assignments;
      Properties properties = new Properties();
      properties.put("bootstrap.servers", broker.bootstrapServers());
      properties.put("group.id", "millrace.assign");
      properties.put("partition.assignment.strategy", KeyGroupAssignor.class.getName());
      properties.put("session.timeout.ms", "6000");
      properties.put("heartbeat.interval.ms", "500");
      this.thread =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(
                        properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                  consumer.subscribe(
                      topics,
                      new ConsumerRebalanceListener() {
                        @Override
                        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                          assignments.remove(name);
                        }

                        @Override
                        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                          TreeSet<Integer> byTopic = new TreeSet<>();
                          for (TopicPartition p : partitions) {
                            byTopic.add(p.partition() * 1000 + topics.indexOf(p.topic()));
                          }
                          assignments.put(name, byTopic);
                        }
                      });
                  while (!stop) {
                    consumer.poll(Duration.ofMillis(100));
                  }
                }
              },
              "worker-" + name);
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(30_000);
    }
  }

  /** Waits until {@code workers} hold every key group of both topics between them, once each. */
  static Map<String, TreeSet<Integer>> awaitStable(
      Map<String, TreeSet<Integer>> assignments, Collection<String> workers, int keyGroups)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      Map<String, TreeSet<Integer>> now = Map.copyOf(assignments);
      if (now.keySet().equals(new TreeSet<>(workers))) {
        TreeSet<Integer> all = new TreeSet<>();
        now.values().forEach(all::addAll);
        if (all.size() == 2 * keyGroups) {
          return now;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no stable assignment: " + assignments);
  }

  /** Key group i's partition of both topics went to the same worker: encoded p*1000 + topic. */
  static Map<String, TreeSet<Integer>> keyGroupsOf(Map<String, TreeSet<Integer>> stable) {
    Map<String, TreeSet<Integer>> keyGroups = new ConcurrentHashMap<>();
    stable.forEach(
        (worker, partitions) -> {
          TreeSet<Integer> edge = new TreeSet<>();
          TreeSet<Integer> changelog = new TreeSet<>();
          for (int p : partitions) {
            (p % 1000 == 0 ? edge : changelog).add(p / 1000);
          }
          assertThat(worker + "'s edge and changelog partitions", edge, is(changelog));
          keyGroups.put(worker, edge);
        });
    return keyGroups;
  }

  @Test
  void aKeyGroupsPartitionsOfEveryTopicGoToOneWorkerAndRescalingMovesAThird() throws Exception {
    Plan plan = JobTopicsTest.plan(12);
    JobTopics topics = JobTopics.of("assign", plan, 1);
    try (var admin = broker.admin()) {
      topics.ensure(admin);
    }
    List<String> subscribed =
        List.of(JobTopics.edgeTopic("assign", 0), JobTopics.edgeTopic("assign", 1));
    Map<String, TreeSet<Integer>> assignments = new ConcurrentHashMap<>();
    List<Worker> workers = new ArrayList<>();
    try {
      workers.add(new Worker("a", subscribed, assignments));
      workers.add(new Worker("b", subscribed, assignments));
      Map<String, TreeSet<Integer>> two =
          keyGroupsOf(awaitStable(assignments, List.of("a", "b"), 12));
      KeyGroupAssignmentTest.assertBalancedAndComplete(12, new java.util.HashMap<>(two));

      workers.add(new Worker("c", subscribed, assignments));
      Map<String, TreeSet<Integer>> three =
          keyGroupsOf(awaitStable(assignments, List.of("a", "b", "c"), 12));
      KeyGroupAssignmentTest.assertBalancedAndComplete(12, new java.util.HashMap<>(three));
      assertThat(
          "2 -> 3: the new worker's share moves, a third",
          KeyGroupAssignmentTest.moved(
              new java.util.HashMap<>(two), new java.util.HashMap<>(three)),
          is(4));

      workers.remove(2).close();
      Map<String, TreeSet<Integer>> back =
          keyGroupsOf(awaitStable(assignments, List.of("a", "b"), 12));
      KeyGroupAssignmentTest.assertBalancedAndComplete(12, new java.util.HashMap<>(back));
      assertThat(
          "3 -> 2: only the leaving worker's key groups move",
          KeyGroupAssignmentTest.moved(
              new java.util.HashMap<>(three), new java.util.HashMap<>(back)),
          is(4));
    } finally {
      for (Worker worker : workers) {
        worker.close();
      }
    }
  }
}
