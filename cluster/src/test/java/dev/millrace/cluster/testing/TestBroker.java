package dev.millrace.cluster.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker in this JVM for tests: Kafka's own KRaft test kit, one combined broker and
 * controller, on loopback, its files in a temporary directory removed at close. No Docker.
 */
public final class TestBroker implements AutoCloseable {
  private final KafkaClusterTestKit cluster;

  private TestBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  public static TestBroker start(Path directory) throws Exception {
    KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(directory)
                    .build())
            // One broker: internal topics cannot have more replicas than that.
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return new TestBroker(cluster);
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /**
   * Stops the broker (its controller keeps running), waits {@code down}, and starts it again on the
   * same port with the same log: what clients see of a broker's restart.
   */
  public void restart(Duration down) throws InterruptedException {
    for (BrokerServer server : cluster.brokers().values()) {
      server.shutdown();
      server.awaitShutdown();
    }
    Thread.sleep(down.toMillis());
    for (BrokerServer server : cluster.brokers().values()) {
      server.startup();
    }
  }

  public Admin admin() {
    Properties properties = new Properties();
    properties.put("bootstrap.servers", bootstrapServers());
    return Admin.create(properties);
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
