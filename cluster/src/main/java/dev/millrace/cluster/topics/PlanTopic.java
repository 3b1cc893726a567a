package dev.millrace.cluster.topics;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A job's plan topic: where the job is published once, and where any worker started with the
 * broker's address and the job's name reads what to run. So workers are started by whatever the
 * user runs them with (a shell, systemd, a StatefulSet), never by a scheduler of ours. The topic is
 * compacted with one record, the latest definition.
 */
public final class PlanTopic {
  private static final byte[] KEY = "job".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final Properties kafka;
  private final String job;

  /** {@code kafka}: the clients' settings, {@code bootstrap.servers} at least. */
  public PlanTopic(Properties kafka, String job) {
    this.kafka = kafka;
    this.job = job;
  }

  /**
   * Publishes {@code definition}. Publishing the same plan again is harmless; another plan under
   * the same job name is refused by name: its workers would mix with the running job's.
   */
  public void publish(JobDefinition definition) throws InterruptedException {
    Optional<JobDefinition> published = current();
    if (published.isPresent() && !published.get().fingerprint().equals(definition.fingerprint())) {
      throw new IllegalStateException(
          "job "
              + job
              + " already runs another plan (fingerprint "
              + published.get().fingerprint()
              + ", this one "
              + definition.fingerprint()
              + "): give this one another job name, or remove the old job's topics");
    }
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(kafka, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer
          .send(new ProducerRecord<>(JobTopics.planTopic(job), 0, KEY, definition.encode()))
          .get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot publish job " + job + " to " + JobTopics.planTopic(job) + ": " + e.getCause(), e);
    }
  }

  /**
   * What a worker runs: the published definition, once its own translation gives the same
   * fingerprint. Waits up to {@code timeout} for it to be published.
   */
  public JobDefinition readFor(String localFingerprint, Duration timeout) {
    JobDefinition definition =
        latest(timeout)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no job "
                            + job
                            + " was published to "
                            + kafka.getProperty("bootstrap.servers")
                            + " within "
                            + timeout.toSeconds()
                            + " s: submit it first, or check the job name"));
    if (localFingerprint != null && !localFingerprint.equals(definition.fingerprint())) {
      throw new IllegalStateException(
          "this worker's plan of job "
              + job
              + " has fingerprint "
              + localFingerprint
              + " where the published one has "
              + definition.fingerprint()
              + ": the worker runs another Millrace, or other options; it does not take part");
    }
    return definition;
  }

  /** The latest definition on the topic, once one is there, waiting up to {@code timeout}. */
  public Optional<JobDefinition> latest(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<JobDefinition> now = current();
      if (now.isPresent() || System.nanoTime() > deadline) {
        return now;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
  }

  /** The definition on the topic now; empty when the topic or its record is not there yet. */
  public Optional<JobDefinition> current() {
    String topic = JobTopics.planTopic(job);
    try (Admin admin = Admin.create(kafka)) {
      if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
        return Optional.empty();
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot reach Kafka at " + kafka.getProperty("bootstrap.servers") + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
    TopicPartition partition = new TopicPartition(topic, 0);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(kafka, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      JobDefinition latest = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(partition) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cannot read " + topic + " to its end within 30 s");
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          latest = JobDefinition.decode(record.value());
        }
      }
      return Optional.ofNullable(latest);
    }
  }
}
