package dev.millrace.cluster.exchange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that reads a worker's exchange partitions and hands each frame to the consumer
 * subtasks that read its partition (every local one of a BROADCAST edge). A partition whose frames
 * wait for room in an inbox is paused until they went in, so a slow subtask holds back only its own
 * partitions and nothing piles up here.
 */
final class ExchangePoller implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ExchangePoller.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<TopicPartition, List<ConsumerChannel>> readers = new HashMap<>();
  private final Consumer<Throwable> failJob;
  private volatile boolean stopped;

  ExchangePoller(KafkaConsumer<byte[], byte[]> consumer, Consumer<Throwable> failJob) {
    this.consumer = consumer;
    this.failJob = failJob;
  }

  /** Before the thread starts: {@code channel} reads {@code topic}'s partitions [from, to). */
  void read(String topic, int from, int to, ConsumerChannel channel) {
    for (int p = from; p < to; p++) {
      readers.computeIfAbsent(new TopicPartition(topic, p), k -> new ArrayList<>()).add(channel);
    }
  }

  void stop() {
    stopped = true;
    consumer.wakeup();
  }

  @Override
  public void run() {
    try {
      consumer.assign(readers.keySet());
      consumer.seekToBeginning(readers.keySet());
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
          for (ConsumerChannel channel : readers.get(partition)) {
            channel.add(record.partition(), frame);
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
      consumer.close(Duration.ZERO);
    }
  }
}
