package dev.millrace.cluster.exchange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that reads a worker's exchange partitions and hands each frame to the consumer
 * subtasks that read its partition (every local one of a BROADCAST edge). A partition whose frames
 * wait for room in an inbox is paused until they went in, so a slow subtask holds back only its own
 * partitions and nothing piles up here.
 *
 * <p>At a checkpoint's start it puts the barrier into every channel behind what it read so far, and
 * reports how far that is in each partition, with the latest watermark of each producer read there
 * ({@link ReadWatermarks}): the positions to commit with the checkpoint. A worker resuming a
 * checkpoint starts from the positions committed with it, its channels knowing those watermarks.
 */
final class ExchangePoller implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ExchangePoller.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<TopicPartition, List<ConsumerChannel>> readers = new HashMap<>();

  /** The latest watermark of each producer read so far in each partition, committed beside it. */
  private final Map<TopicPartition, long[]> readWatermarks = new HashMap<>();

  private final Set<ConsumerChannel> channels = new LinkedHashSet<>();
  private final Consumer<Throwable> failJob;
  private final boolean resume;
  private final BiConsumer<Long, Map<TopicPartition, OffsetAndMetadata>> positionsAtBarrier;
  private final ConcurrentLinkedQueue<Long> barriers = new ConcurrentLinkedQueue<>();
  private volatile Map<TopicPartition, OffsetAndMetadata> finalPositions = Map.of();
  private volatile boolean stopped;

  /**
   * {@code resume}: start from the positions the consumer's group committed, not the beginning.
   * {@code positionsAtBarrier} hears each checkpoint's positions.
   */
  ExchangePoller(
      KafkaConsumer<byte[], byte[]> consumer,
      boolean resume,
      BiConsumer<Long, Map<TopicPartition, OffsetAndMetadata>> positionsAtBarrier,
      Consumer<Throwable> failJob) {
    this.consumer = consumer;
    this.resume = resume;
    this.positionsAtBarrier = positionsAtBarrier;
    this.failJob = failJob;
  }

  /** Before the thread starts: {@code channel} reads {@code topic}'s partitions [from, to). */
  void read(String topic, int from, int to, ConsumerChannel channel) {
    channels.add(channel);
    for (int p = from; p < to; p++) {
      TopicPartition partition = new TopicPartition(topic, p);
      readers.computeIfAbsent(partition, k -> new ArrayList<>()).add(channel);
      readWatermarks.computeIfAbsent(
          partition, k -> ReadWatermarks.decode(null, channel.producers()));
    }
  }

  /** Checkpoint {@code id} starts: its barriers go in on the thread's next round. */
  void barrier(long id) {
    barriers.add(id);
  }

  void stop() {
    stopped = true;
    consumer.wakeup();
  }

  /** Where every partition was read to when the thread stopped. */
  Map<TopicPartition, OffsetAndMetadata> finalPositions() {
    return finalPositions;
  }

  @Override
  public void run() {
    try {
      consumer.assign(readers.keySet());
      startPositions();
      Set<TopicPartition> paused = new HashSet<>();
      while (!stopped) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          ExchangeFrame frame;
          try {
            frame = ExchangeFrame.decode(record.value());
          } catch (RuntimeException e) {
            throw new IllegalStateException(
                "cannot read the record at offset " + record.offset() + " of " + partition, e);
          }
          noteWatermark(partition, frame);
          for (ConsumerChannel channel : readers.get(partition)) {
            channel.add(record.partition(), frame);
          }
        }
        Long barrier;
        while ((barrier = barriers.poll()) != null) {
          positionsAtBarrier.accept(barrier, positions());
          for (ConsumerChannel channel : channels) {
            channel.addBarrier(barrier);
          }
        }
        Set<TopicPartition> waiting = new HashSet<>();
        for (Map.Entry<TopicPartition, List<ConsumerChannel>> e : readers.entrySet()) {
          for (ConsumerChannel channel : e.getValue()) {
            channel.deliver();
            if (channel.hasWaiting()) {
              waiting.add(e.getKey());
            }
          }
        }
        Set<TopicPartition> resume = new HashSet<>(paused);
        resume.removeAll(waiting);
        waiting.removeAll(paused);
        if (!resume.isEmpty()) {
          consumer.resume(resume);
          paused.removeAll(resume);
        }
        if (!waiting.isEmpty()) {
          consumer.pause(waiting);
          paused.addAll(waiting);
        }
      }
    } catch (WakeupException e) {
      if (!stopped) {
        failJob.accept(e);
      }
    } catch (Throwable t) {
      LOG.error("the exchange's reader failed", t);
      failJob.accept(t);
    } finally {
      try {
        finalPositions = positions();
      } catch (RuntimeException e) {
        // Closing after a failure: no positions to commit.
      }
      consumer.close(Duration.ZERO);
    }
  }

  private void startPositions() {
    Set<TopicPartition> fromStart = new HashSet<>(readers.keySet());
    if (resume) {
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(readers.keySet());
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
        if (e.getValue() != null) {
          TopicPartition partition = e.getKey();
          consumer.seek(partition, e.getValue().offset());
          fromStart.remove(partition);
          long[] row = readWatermarks.get(partition);
          System.arraycopy(
              ReadWatermarks.decode(e.getValue().metadata(), row.length), 0, row, 0, row.length);
          for (ConsumerChannel channel : readers.get(partition)) {
            channel.seed(partition.partition(), row);
          }
        }
      }
      LOG.info(
          "Resuming {} exchange partitions where the last commit left them, {} from the start",
          readers.size() - fromStart.size(),
          fromStart.size());
    }
    // Never with none: Kafka takes an empty collection as every assigned partition, and a worker
    // resuming with all its positions committed read everything again from the start.
    if (!fromStart.isEmpty()) {
      consumer.seekToBeginning(fromStart);
    }
  }

  private void noteWatermark(TopicPartition partition, ExchangeFrame frame) {
    if (frame.watermark() == ExchangeFrame.NO_WATERMARK) {
      return;
    }
    long[] row = readWatermarks.get(partition);
    int producer = frame.producer();
    if (producer < 0 || producer >= row.length) {
      throw new IllegalArgumentException(
          "a frame from producer subtask " + producer + " of " + row.length + " in " + partition);
    }
    row[producer] = Math.max(row[producer], frame.watermark());
  }

  private Map<TopicPartition, OffsetAndMetadata> positions() {
    Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
    for (TopicPartition partition : readers.keySet()) {
      positions.put(
          partition,
          new OffsetAndMetadata(
              consumer.position(partition), ReadWatermarks.encode(readWatermarks.get(partition))));
    }
    return positions;
  }
}
