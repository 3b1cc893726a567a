package dev.millrace.cluster.topics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.PortRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A job's topics on a real (in-process) Kafka broker, and exchange frames through them. */
@Timeout(120)
public class JobTopicsTest extends OnTestBroker {
  private static Admin admin;

  @BeforeAll
  static void openAdmin() {
    admin = broker.admin();
  }

  @AfterAll
  static void closeAdmin() {
    admin.close();
  }

  /**
   * A source, a HASH edge with {@code keyGroups} key groups to a keyed vertex, another to a second
   * keyed vertex, a FORWARD edge to a sink.
   */
  public static Plan plan(int keyGroups) {
    PlanBuilder plan = new PlanBuilder();
    int source = plan.newVertex("source", 2);
    int sourceOp = plan.addOperator(source, new OperatorNode("read", () -> null, 0, 1));
    int keyed = plan.newVertex("keyed", 2);
    int keyedOp = plan.addOperator(keyed, new OperatorNode("group", () -> null, 1, 1));
    int counted = plan.newVertex("counted", 2);
    int countedOp = plan.addOperator(counted, new OperatorNode("count", () -> null, 1, 1));
    int sink = plan.newVertex("sink", 2);
    int sinkOp = plan.addOperator(sink, new OperatorNode("write", () -> null, 1, 0));
    plan.edge(
        new PortRef(source, sourceOp, 0),
        new PortRef(keyed, keyedOp, 0),
        EdgeKind.HASH,
        element -> 0,
        keyGroups,
        null);
    plan.edge(
        new PortRef(keyed, keyedOp, 0),
        new PortRef(counted, countedOp, 0),
        EdgeKind.HASH,
        element -> 0,
        keyGroups,
        null);
    plan.edge(
        new PortRef(counted, countedOp, 0),
        new PortRef(sink, sinkOp, 0),
        EdgeKind.FORWARD,
        null,
        0,
        null);
    return plan.build();
  }

  @Test
  void aHashEdgeGetsAPartitionPerKeyGroup() throws Exception {
    JobTopics topics = JobTopics.of("shapes", plan(16), 2);
    topics.ensure(admin);
    topics.ensure(admin); // a second worker of the job finds them made
    Map<String, TopicDescription> described =
        admin
            .describeTopics(
                List.of(
                    JobTopics.planTopic("shapes"),
                    JobTopics.edgeTopic("shapes", 0),
                    JobTopics.edgeTopic("shapes", 1)))
            .allTopicNames()
            .get();
    assertThat(described.get(JobTopics.planTopic("shapes")).partitions().size(), is(1));
    assertThat(described.get(JobTopics.edgeTopic("shapes", 0)).partitions().size(), is(16));
    assertThat(described.get(JobTopics.edgeTopic("shapes", 1)).partitions().size(), is(16));
    assertThat(cleanupPolicy(JobTopics.planTopic("shapes")), is("compact"));
    assertThat(cleanupPolicy(JobTopics.edgeTopic("shapes", 0)), is("delete"));
    assertThat(cleanupPolicy(JobTopics.commitsTopic("shapes")), is("compact"));
    assertThat(cleanupPolicy(JobTopics.stateTopic("shapes")), is("compact"));
    assertThat(
        "a partition of state per worker",
        admin
            .describeTopics(List.of(JobTopics.stateTopic("shapes")))
            .allTopicNames()
            .get()
            .get(JobTopics.stateTopic("shapes"))
            .partitions()
            .size(),
        is(2));
    assertThat(
        "FORWARD edges stay in the worker",
        topics.topics().stream().map(JobTopics.Topic::name).toList(),
        org.hamcrest.Matchers.containsInAnyOrder(
            JobTopics.planTopic("shapes"),
            JobTopics.commitsTopic("shapes"),
            JobTopics.stateTopic("shapes"),
            JobTopics.edgeTopic("shapes", 0),
            JobTopics.edgeTopic("shapes", 1)));

    assertThat(topics.removeFinished(admin), is(4));
    // Deleting is asynchronous on the broker: the topics go within moments. The commit log stays.
    Set<String> commitLog = Set.of(JobTopics.commitsTopic("shapes"));
    assertThat(awaitTopics(admin, "millrace.shapes.", commitLog), equalTo(commitLog));
  }

  /**
   * The topics named {@code prefix}..., once they are {@code expected} (deleting is asynchronous on
   * the broker) or 30 s passed.
   */
  public static Set<String> awaitTopics(Admin admin, String prefix, Set<String> expected)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Set<String> now = new TreeSet<>(admin.listTopics().names().get());
      now.removeIf(t -> !t.startsWith(prefix));
      if (now.equals(expected) || System.nanoTime() > deadline) {
        return now;
      }
      Thread.sleep(100);
    }
  }

  private static String cleanupPolicy(String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin
        .describeConfigs(List.of(resource))
        .all()
        .get()
        .get(resource)
        .get("cleanup.policy")
        .value();
  }

  @Test
  void anotherPlanUnderTheSameJobNameIsRefusedByName() throws Exception {
    JobTopics.of("renamed", plan(16), 2).ensure(admin);
    IllegalStateException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class, () -> JobTopics.of("renamed", plan(8), 2).ensure(admin));
    assertThat(refused.getMessage(), containsString("millrace.renamed.edge.0 has 16 partitions"));
    assertThat(refused.getMessage(), containsString("needs 8"));
  }

  @Test
  void aJobNameThatCannotNameTopicsIsAClearError() {
    IllegalArgumentException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> JobTopics.of("my job/1", plan(4), 2));
    assertThat(refused.getMessage(), containsString("'my job/1' cannot name Kafka topics"));
  }
}
