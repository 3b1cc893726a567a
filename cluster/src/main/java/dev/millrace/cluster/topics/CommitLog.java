package dev.millrace.cluster.topics;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which checkpoint each worker's last transaction made durable. A worker commits the positions it
 * read its exchange partitions to as its own consumer group's offsets inside its transaction, and
 * beside them, as the offset metadata of the job's commits topic, its checkpoint's id and whether
 * its share of the job had finished. A worker that starts again resumes exactly that checkpoint (a
 * later one it wrote locally was never committed, and the other workers never saw its output), or
 * does nothing if its share had finished. Offsets are read from the group coordinator, which shows
 * committed transactions only, and is not held up by another worker's open one.
 */
public final class CommitLog {
  private CommitLog() {}

  /** What a worker's last committed transaction says. */
  public record Entry(long checkpointId, boolean finished) {
    String encode() {
      return "checkpoint=" + checkpointId + ";finished=" + finished;
    }

    static Entry decode(String text) {
      Map<String, String> fields = new HashMap<>();
      for (String field : text.split(";")) {
        int eq = field.indexOf('=');
        if (eq > 0) {
          fields.put(field.substring(0, eq), field.substring(eq + 1));
        }
      }
      if (!fields.containsKey("checkpoint") || !fields.containsKey("finished")) {
        throw new IllegalArgumentException("a commit marker that is not one: " + text);
      }
      return new Entry(
          Long.parseLong(fields.get("checkpoint")), Boolean.parseBoolean(fields.get("finished")));
    }
  }

  /** The consumer group under which worker {@code worker} of {@code job} commits. */
  public static String group(String job, String worker) {
    return "millrace." + job + "." + worker;
  }

  /** The offset that says {@code entry}, to commit with the worker's positions. */
  public static Map<TopicPartition, OffsetAndMetadata> marker(String job, Entry entry) {
    return Map.of(
        new TopicPartition(JobTopics.commitsTopic(job), 0),
        new OffsetAndMetadata(0, entry.encode()));
  }

  /** The latest committed entry of {@code worker}, if it ever committed. */
  public static Optional<Entry> latest(Map<String, Object> kafka, String job, String worker) {
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)))) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group(job, worker)).partitionsToOffsetAndMetadata().get();
      OffsetAndMetadata marker = offsets.get(new TopicPartition(JobTopics.commitsTopic(job), 0));
      return marker == null ? Optional.empty() : Optional.of(Entry.decode(marker.metadata()));
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot read what worker " + worker + " of job " + job + " committed: " + e.getCause(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the commits of " + job, e);
    }
  }
}
