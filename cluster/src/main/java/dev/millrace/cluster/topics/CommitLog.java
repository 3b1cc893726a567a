package dev.millrace.cluster.topics;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which checkpoint each worker's last transaction made durable. A worker commits the positions it
 * read its exchange partitions to as its own consumer group's offsets inside its transaction, and
 * beside them, as the offset metadata of the job's commits topic, its checkpoint's id and whether
 * its share of the job had finished. A worker that starts again resumes exactly that checkpoint (a
 * later one it wrote locally was never committed, and the other workers never saw its output), or
 * does nothing if its share had finished. Offsets are read from the group coordinator, which shows
 * committed transactions only, and is not held up by another worker's open one. A job without
 * transactions (no checkpoints) records only that a worker's share finished ({@link
 * #markFinished}). Once every worker's share finished, the job's other topics are removed; this log
 * stays.
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
    try (Admin admin = admin(kafka)) {
      return latest(admin, job, worker);
    }
  }

  /**
   * Whether {@code worker}'s share finished, by its last commit that has completed, not waiting for
   * one in flight: that one may belong to a run that died inside its transaction and stays pending
   * until the worker's next run fences it. A finish being committed reads as not yet, which is safe
   * where the exchange, once fenced, reads the log again ({@link #latest}).
   */
  public static boolean finishedAsFarAsCommitted(
      Map<String, Object> kafka, String job, String worker) {
    try (Admin admin = admin(kafka)) {
      return read(admin, job, worker, false).map(Entry::finished).orElse(false);
    }
  }

  /**
   * Records that {@code worker}'s share of a job without transactions (one that takes no
   * checkpoints) finished; a job with transactions commits it in its last one.
   */
  public static void markFinished(Map<String, Object> kafka, String job, String worker) {
    try (Admin admin = admin(kafka)) {
      admin
          .alterConsumerGroupOffsets(group(job, worker), marker(job, new Entry(0, true)))
          .all()
          .get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot record that worker " + worker + " of job " + job + " finished: " + e.getCause(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while recording the end of " + worker, e);
    }
  }

  private static Admin admin(Map<String, Object> kafka) {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)));
  }

  /**
   * The latest committed entry of {@code worker}, if it ever committed. An entry a transaction is
   * committing at this moment is waited for, not skipped; one left by a worker that died inside its
   * transaction stays pending until a new run of that worker fences it, so a worker reads its own
   * entry only after it did.
   */
  public static Optional<Entry> latest(Admin admin, String job, String worker) {
    return read(admin, job, worker, true);
  }

  private static Optional<Entry> read(Admin admin, String job, String worker, boolean stable) {
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin
              .listConsumerGroupOffsets(
                  group(job, worker), new ListConsumerGroupOffsetsOptions().requireStable(stable))
              .partitionsToOffsetAndMetadata()
              .get();
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
