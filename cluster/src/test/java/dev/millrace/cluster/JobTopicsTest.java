package dev.millrace.cluster;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.PortRef;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A job's topics on a real (in-process) Kafka broker, and exchange frames through them. */
@Timeout(120)
class JobTopicsTest extends OnTestBroker {
  private static Admin admin;

  @BeforeAll
  static void openAdmin() {
    admin = broker.admin();
  }

  @AfterAll
  static void closeAdmin() {
    admin.close();
  }

  /** A source, a HASH edge with {@code keyGroups} key groups, a keyed vertex, a FORWARD edge. */
  static Plan plan(int keyGroups) {
    PlanBuilder plan = new PlanBuilder();
    int source = plan.newVertex("source", 2);
    int sourceOp = plan.addOperator(source, new OperatorNode("read", () -> null, 0, 1));
    int keyed = plan.newVertex("keyed", 2);
    int keyedOp = plan.addOperator(keyed, new OperatorNode("group", () -> null, 1, 1));
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
        new PortRef(sink, sinkOp, 0),
        EdgeKind.FORWARD,
        null,
        0,
        null);
    return plan.build();
  }

  @Test
  void aHashEdgeGetsAPartitionPerKeyGroupAndItsVertexACompactedChangelog() throws Exception {
    JobTopics topics = JobTopics.of("shapes", plan(16));
    topics.ensure(admin);
    topics.ensure(admin); // a second worker of the job finds them made
    Map<String, TopicDescription> described =
        admin
            .describeTopics(
                List.of(
                    JobTopics.planTopic("shapes"),
                    JobTopics.edgeTopic("shapes", 0),
                    JobTopics.changelogTopic("shapes", 1)))
            .allTopicNames()
            .get();
    assertThat(described.get(JobTopics.planTopic("shapes")).partitions().size(), is(1));
    assertThat(described.get(JobTopics.edgeTopic("shapes", 0)).partitions().size(), is(16));
    assertThat(described.get(JobTopics.changelogTopic("shapes", 1)).partitions().size(), is(16));
    assertThat(cleanupPolicy(JobTopics.changelogTopic("shapes", 1)), is("compact"));
    assertThat(cleanupPolicy(JobTopics.planTopic("shapes")), is("compact"));
    assertThat(cleanupPolicy(JobTopics.edgeTopic("shapes", 0)), is("delete"));
    assertThat("FORWARD edges stay in the worker", topics.topics().size(), is(3));

    topics.remove(admin);
    // Deleting is asynchronous on the broker: the topics go within moments.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Set<String> left = admin.listTopics().names().get();
    while (left.stream().anyMatch(t -> t.startsWith("millrace.shapes."))
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
      left = admin.listTopics().names().get();
    }
    assertThat(
        left.toString(), left.stream().anyMatch(t -> t.startsWith("millrace.shapes.")), is(false));
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
    JobTopics.of("renamed", plan(16)).ensure(admin);
    IllegalStateException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class, () -> JobTopics.of("renamed", plan(8)).ensure(admin));
    assertThat(refused.getMessage(), containsString("millrace.renamed.edge.0 has 16 partitions"));
    assertThat(refused.getMessage(), containsString("needs 8"));
  }

  @Test
  void aJobNameThatCannotNameTopicsIsAClearError() {
    IllegalArgumentException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> JobTopics.of("my job/1", plan(4)));
    assertThat(refused.getMessage(), containsString("'my job/1' cannot name Kafka topics"));
  }

  @Test
  void aFrameSentToItsKeyGroupsPartitionComesBackWhole() throws Exception {
    JobTopics.of("frames", plan(8)).ensure(admin);
    String topic = JobTopics.edgeTopic("frames", 0);
    KeyGroupFrame sent =
        new KeyGroupFrame(
            5,
            List.of(
                "a".getBytes(StandardCharsets.UTF_8),
                new byte[0],
                "x".repeat(300).getBytes(StandardCharsets.UTF_8)));
    Properties producerProperties = new Properties();
    producerProperties.put("bootstrap.servers", broker.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            producerProperties, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, sent.keyGroup(), null, sent.encode())).get();
    }
    Properties consumerProperties = new Properties();
    consumerProperties.put("bootstrap.servers", broker.bootstrapServers());
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            consumerProperties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 5);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (records.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    assertThat(records.size(), is(1));
    KeyGroupFrame received = KeyGroupFrame.decode(records.get(0).value());
    assertThat(received.keyGroup(), is(5));
    assertThat(received.elements().size(), is(3));
    assertThat(new String(received.elements().get(2), StandardCharsets.UTF_8), is("x".repeat(300)));
    assertThat(received.elements().get(1).length, is(0));
  }
}
