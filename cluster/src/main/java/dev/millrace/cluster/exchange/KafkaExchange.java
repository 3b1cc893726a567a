package dev.millrace.cluster.exchange;

import dev.millrace.cluster.topics.EdgePartitions;
import dev.millrace.cluster.topics.JobTopics;
import dev.millrace.engine.RemoteExchange;
import dev.millrace.engine.RemoteInlet;
import dev.millrace.engine.RemoteOutlet;
import dev.millrace.plan.Edge;
import dev.millrace.plan.Plan;
import dev.millrace.plan.Vertex;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One worker's part of a job spread over several through Kafka: the subtasks its {@link Placement}
 * gives it run here, and every edge but FORWARD goes through the edge's topic (see {@link
 * EdgePartitions}). One producer sends what this worker's subtasks emit; one reader thread ({@link
 * ExchangePoller}) feeds its consumer subtasks, each channel's watermark the minimum over every
 * producer subtask of the edge in every partition it reads.
 */
public final class KafkaExchange implements RemoteExchange {
  /** Unacknowledged bytes past which this worker's subtasks take no new input. */
  static final long SEND_WINDOW_BYTES = 32L << 20;

  private final String job;
  private final Plan plan;
  private final Placement placement;
  private final Map<String, Object> kafkaConfig;
  private final String worker;
  private final SendWindow window = new SendWindow(SEND_WINDOW_BYTES);
  private KafkaProducer<byte[], byte[]> producer;
  private ExchangePoller poller;
  private Thread pollerThread;

  /** Where each subtask of a job runs. */
  public interface Placement {
    boolean runsHere(int vertex, int subtask);
  }

  /**
   * {@code kafkaConfig} holds at least {@code bootstrap.servers}; {@code worker} names this worker
   * in client ids and thread names.
   */
  public KafkaExchange(
      String job, Plan plan, Placement placement, Map<String, Object> kafkaConfig, String worker) {
    this.job = job;
    this.plan = plan;
    this.placement = placement;
    this.kafkaConfig = Map.copyOf(kafkaConfig);
    this.worker = worker;
  }

  @Override
  public boolean runsHere(int vertex, int subtask) {
    return placement.runsHere(vertex, subtask);
  }

  @Override
  public boolean isRemote(Edge edge) {
    return EdgePartitions.isRemote(edge);
  }

  @Override
  public synchronized RemoteOutlet outlet(Edge edge, int producerSubtask, Runnable wakeWorkers) {
    if (producer == null) {
      producer = new KafkaProducer<>(producerConfig());
      window.wakeWith(wakeWorkers);
    }
    return new KafkaOutlet(
        edge,
        JobTopics.edgeTopic(job, edge.id()),
        describe(edge),
        EdgePartitions.count(plan, edge),
        producerSubtask,
        producer,
        window);
  }

  @Override
  public synchronized void bind(Edge edge, int consumerSubtask, RemoteInlet inlet) {
    if (poller == null) {
      poller = new ExchangePoller(new KafkaConsumer<>(consumerConfig()), this::failLater);
    }
    int[] partitions = EdgePartitions.readBy(plan, edge, consumerSubtask);
    int producers = plan.vertices().get(edge.from().vertex()).parallelism();
    poller.read(
        JobTopics.edgeTopic(job, edge.id()),
        partitions[0],
        partitions[1],
        new ConsumerChannel(inlet, partitions[0], partitions[1] - partitions[0], producers));
  }

  private volatile Consumer<Throwable> failJob = t -> {};

  private void failLater(Throwable t) {
    failJob.accept(t);
  }

  @Override
  public synchronized void start(Consumer<Throwable> failJob) {
    this.failJob = failJob;
    if (poller != null) {
      pollerThread = new Thread(poller, "millrace-" + worker + "-exchange");
      pollerThread.setDaemon(true);
      pollerThread.start();
    }
  }

  @Override
  public synchronized void close() {
    if (poller != null) {
      poller.stop();
      try {
        if (pollerThread != null) {
          pollerThread.join(10_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (producer != null) {
      // Waits for what was sent, the END of every edge included, to be acknowledged.
      producer.close(Duration.ofSeconds(30));
      Exception failure = window.failure();
      if (failure != null) {
        throw new IllegalStateException(
            "worker " + worker + " could not send all its output: " + failure, failure);
      }
    }
  }

  private Map<String, Object> producerConfig() {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "millrace-" + worker + "-producer");
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    config.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    // Above the send window, so send() itself never blocks a worker thread.
    config.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 2 * SEND_WINDOW_BYTES + (8L << 20));
    config.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
    // One request in flight per broker: with more, a batch refused while a new partition's leader
    // was being set up could be retried behind later ones the broker took as the producer's first
    // (seen on Kafka 4.1: OUT_OF_ORDER_SEQUENCE_NUMBER retried forever, the job stuck).
    config.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return config;
  }

  private Map<String, Object> consumerConfig() {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-" + worker + "-exchange");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
    config.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
    return config;
  }

  private String describe(Edge edge) {
    Vertex from = plan.vertices().get(edge.from().vertex());
    Vertex to = plan.vertices().get(edge.to().vertex());
    return "from "
        + from.operators().get(edge.from().operator()).name()
        + " to "
        + to.operators().get(edge.to().operator()).name();
  }
}
