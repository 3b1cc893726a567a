package dev.millrace.cluster.exchange;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A worker's one Kafka producer, shared by its outlets. With a transactional id (a job that takes
 * checkpoints) everything is sent inside a transaction, committed with the worker's reading
 * positions at each checkpoint; starting it fences and aborts whatever an earlier run of the same
 * worker left open. Without one, records are only idempotent.
 */
final class ExchangeProducer {
  /** Unacknowledged bytes past which this worker's subtasks take no new input. */
  static final long SEND_WINDOW_BYTES = 32L << 20;

  private final KafkaProducer<byte[], byte[]> producer;
  private final boolean transactional;
  private final SendWindow window;

  ExchangeProducer(
      Map<String, Object> kafka, String clientId, String transactionalId, SendWindow window) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    config.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    // Above the send window, so send() itself never blocks a worker thread.
    config.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 2 * SEND_WINDOW_BYTES + (8L << 20));
    config.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
    // One request in flight per broker: with more, a batch refused while a partition's leader was
    // moving could be retried behind later ones the broker took as the producer's first (seen on
    // Kafka 4.1 right after a topic's creation: OUT_OF_ORDER_SEQUENCE_NUMBER retried forever).
    config.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    if (transactionalId != null) {
      config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    // Right after a commit the coordinator is still writing the transaction's markers, and the
    // next transaction's first sends are refused (CONCURRENT_TRANSACTIONS) and retried: with the
    // default backoff, growing to a second, that delay came after every checkpoint.
    config.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
    config.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 50);
    this.producer = new KafkaProducer<>(config);
    this.transactional = transactionalId != null;
    this.window = window;
    if (transactional) {
      try {
        producer.initTransactions();
        producer.beginTransaction();
      } catch (RuntimeException e) {
        producer.close(Duration.ZERO);
        throw e;
      }
    }
  }

  boolean transactional() {
    return transactional;
  }

  void send(String topic, int partition, byte[] frame) {
    window.sent(frame.length);
    producer.send(
        new ProducerRecord<>(topic, partition, null, frame),
        (metadata, error) -> window.acknowledged(frame.length, error));
  }

  /**
   * A record of the job's state topic, inside the open transaction: not counted in the send window
   * (the thread committing a checkpoint sends it, not a subtask), and a failed send fails the
   * commit.
   */
  void sendState(String topic, int partition, String key, byte[] value) {
    producer.send(
        new ProducerRecord<>(topic, partition, key.getBytes(StandardCharsets.UTF_8), value));
  }

  /**
   * Makes everything sent since the last commit durable together with {@code offsets}, committed
   * for consumer group {@code group}; then begins the next transaction unless it was the {@code
   * last} (a producer closed inside an open transaction waits to abort it).
   */
  synchronized void commit(
      Map<TopicPartition, OffsetAndMetadata> offsets, String group, boolean last) {
    producer.sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata(group));
    producer.commitTransaction();
    Exception failure = window.failure();
    if (failure != null) {
      throw new IllegalStateException("a send of the committed transaction failed: " + failure);
    }
    if (!last) {
      producer.beginTransaction();
    }
  }

  /** Forgets everything sent since the last commit. */
  synchronized void abort() {
    producer.abortTransaction();
  }

  /** Waits (up to 30 s) for what was sent to be acknowledged, then closes. */
  void close() {
    producer.close(Duration.ofSeconds(30));
  }
}
