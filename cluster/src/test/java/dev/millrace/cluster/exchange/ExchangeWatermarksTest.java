package dev.millrace.cluster.exchange;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.engine.RemoteInlet;
import dev.millrace.engine.testing.KeyedSumPlan;
import dev.millrace.plan.Edge;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.PortRef;
import dev.millrace.plan.Watermarks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How watermarks travel through a real broker: how many records they cost, and across a resume. */
@Timeout(120)
class ExchangeWatermarksTest extends OnTestBroker {
  private static final int PARTITIONS = 8;

  private static Edge hashEdge() {
    return new Edge(
        0,
        new PortRef(0, 0, 0),
        new PortRef(1, 0, 0),
        EdgeKind.HASH,
        element -> (int) ((Long) element % PARTITIONS),
        PARTITIONS,
        KeyedSumPlan.LONGS);
  }

  private static void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = broker.admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
  }

  private static Map<String, Object> kafka() {
    return Map.of("bootstrap.servers", broker.bootstrapServers());
  }

  private static ExchangeProducer producer(String transactionalId, SendWindow window) {
    return new ExchangeProducer(kafka(), "test-producer", transactionalId, window);
  }

  private static Map<String, Object> consumerConfig(String group) {
    Map<String, Object> config = new HashMap<>(kafka());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return config;
  }

  /** Every committed frame of {@code topic}, read from the start until {@code expected} came. */
  private static List<ExchangeFrame> committedFrames(String topic, int expected) {
    List<ExchangeFrame> frames = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(consumerConfig("reader-" + topic))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (frames.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          frames.add(ExchangeFrame.decode(record.value()));
        }
      }
      // Anything more would come within a few polls.
      for (int i = 0; i < 5; i++) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          frames.add(ExchangeFrame.decode(record.value()));
        }
      }
    }
    return frames;
  }

  @Test
  void insideATransactionTheAdvancesBeforeABarrierCostOneFramePerPartition() throws Exception {
    String topic = "coalesced";
    createTopic(topic, PARTITIONS);
    SendWindow window = new SendWindow(ExchangeProducer.SEND_WINDOW_BYTES);
    ExchangeProducer kafka = producer("test-coalesced", window);
    KafkaOutlet outlet =
        new KafkaOutlet(hashEdge(), topic, "test edge", PARTITIONS, 0, kafka, window, () -> {});
    for (long i = 0; i < 2 * PARTITIONS; i++) {
      outlet.emit(i);
    }
    for (long watermark = 1; watermark <= 100; watermark++) {
      outlet.advanceWatermark(watermark);
    }
    outlet.barrier(1);
    kafka.commit(Map.of(), "test-coalesced", false);
    outlet.release();
    List<ExchangeFrame> frames = committedFrames(topic, PARTITIONS);
    // Elements came in the flush of the first advance; one frame per partition says watermark 100.
    List<Long> watermarks = new ArrayList<>();
    int elements = 0;
    for (ExchangeFrame frame : frames) {
      if (frame.watermark() != ExchangeFrame.NO_WATERMARK) {
        watermarks.add(frame.watermark());
      }
      elements += frame.count();
    }
    assertThat(elements, is(2 * PARTITIONS));
    assertThat(watermarks, hasSize(PARTITIONS));
    assertThat(watermarks, everyItem(is(100L)));

    // The end goes at once, without waiting for a barrier.
    outlet.advanceWatermark(Watermarks.END);
    kafka.commit(Map.of(), "test-coalesced", true);
    kafka.close();
    List<Long> all = new ArrayList<>();
    for (ExchangeFrame frame : committedFrames(topic, frames.size() + PARTITIONS)) {
      all.add(frame.watermark());
    }
    assertThat(all.stream().filter(w -> w == Watermarks.END).count(), is((long) PARTITIONS));
  }

  @Test
  void insideATransactionSmallFramesGrowUntilTheBarrier() throws Exception {
    String topic = "grown";
    createTopic(topic, PARTITIONS);
    SendWindow window = new SendWindow(ExchangeProducer.SEND_WINDOW_BYTES);
    ExchangeProducer kafka = producer("test-grown", window);
    KafkaOutlet outlet =
        new KafkaOutlet(hashEdge(), topic, "test edge", PARTITIONS, 0, kafka, window, () -> {});
    // Ten bundles of a few elements per partition, each ending in a flush.
    for (int bundle = 0; bundle < 10; bundle++) {
      for (long i = 0; i < 3 * PARTITIONS; i++) {
        outlet.emit(i);
      }
      outlet.flush();
    }
    outlet.barrier(1);
    kafka.commit(Map.of(), "test-grown", true);
    kafka.close();
    List<ExchangeFrame> frames = committedFrames(topic, PARTITIONS);
    // One frame per partition, holding all thirty of its elements.
    assertThat(frames, hasSize(PARTITIONS));
    assertThat(frames.stream().map(ExchangeFrame::count).toList(), everyItem(is(30)));
  }

  @Test
  void withoutTransactionsEachAdvanceGoesToEveryPartitionAtOnce() throws Exception {
    String topic = "immediate";
    createTopic(topic, PARTITIONS);
    SendWindow window = new SendWindow(ExchangeProducer.SEND_WINDOW_BYTES);
    ExchangeProducer kafka = producer(null, window);
    KafkaOutlet outlet =
        new KafkaOutlet(hashEdge(), topic, "test edge", PARTITIONS, 0, kafka, window, () -> {});
    outlet.advanceWatermark(10);
    outlet.advanceWatermark(20);
    kafka.close();
    List<ExchangeFrame> frames = committedFrames(topic, 2 * PARTITIONS);
    assertThat(frames, hasSize(2 * PARTITIONS));
  }

  /** Takes everything, noting watermarks; called from the reader thread. */
  private static final class WatermarkInlet implements RemoteInlet {
    final List<Long> watermarks = new CopyOnWriteArrayList<>();

    @Override
    public boolean offer(byte[] data, int[] ends, int count, long watermark) {
      return true;
    }

    @Override
    public boolean offerWatermark(long watermark) {
      watermarks.add(watermark);
      return true;
    }

    @Override
    public boolean offerBarrier(long checkpointId) {
      return true;
    }
  }

  private static void send(ExchangeProducer kafka, String topic, int producer, long watermark) {
    kafka.send(topic, 0, new FrameBuffer().take(producer, watermark));
  }

  private static void awaitLast(List<Long> watermarks, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while ((watermarks.isEmpty() || watermarks.get(watermarks.size() - 1) != expected)
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @Test
  void aReaderResumingAfterAProducerEndedStillKnowsItsEnd() throws Exception {
    String topic = "resumed";
    String group = "resumed-reader";
    createTopic(topic, 1);
    SendWindow window = new SendWindow(ExchangeProducer.SEND_WINDOW_BYTES);
    ExchangeProducer kafka = producer(null, window);
    send(kafka, topic, 0, Watermarks.END);
    send(kafka, topic, 1, 100);

    WatermarkInlet first = new WatermarkInlet();
    AtomicReference<Map<TopicPartition, OffsetAndMetadata>> positions = new AtomicReference<>();
    ExchangePoller reader =
        new ExchangePoller(
            new KafkaConsumer<>(consumerConfig(group)),
            false,
            (id, at) -> positions.set(at),
            Throwable::printStackTrace);
    reader.read(topic, 0, 1, new ConsumerChannel(first, 0, 1, 2));
    Thread thread = new Thread(reader);
    thread.start();
    awaitLast(first.watermarks, 100);
    assertThat(first.watermarks, contains(100L));
    reader.barrier(1);
    while (positions.get() == null) {
      Thread.sleep(10);
    }
    reader.stop();
    thread.join();
    try (Admin admin = broker.admin()) {
      admin.alterConsumerGroupOffsets(group, positions.get()).all().get();
    }

    // Producer 0 said its end before the committed position and says nothing more.
    send(kafka, topic, 1, Watermarks.END);
    List<Long> second = readResumed(topic, 1, group, 2, Watermarks.END);
    kafka.close();
    assertThat(second, contains(100L, Watermarks.END));
  }

  @Test
  void aReaderResumingWithEveryPartitionsPositionCommittedReadsOnlyWhatCameAfter()
      throws Exception {
    String topic = "all-committed";
    String group = "all-committed-reader";
    createTopic(topic, 2);
    ExchangeProducer kafka = producer(null, new SendWindow(ExchangeProducer.SEND_WINDOW_BYTES));
    kafka.send(topic, 0, new FrameBuffer().take(0, 10));
    kafka.send(topic, 1, new FrameBuffer().take(0, 10));
    try (Admin admin = broker.admin()) {
      admin
          .alterConsumerGroupOffsets(
              group,
              Map.of(
                  new TopicPartition(topic, 0), new OffsetAndMetadata(1),
                  new TopicPartition(topic, 1), new OffsetAndMetadata(1)))
          .all()
          .get();
    }
    kafka.send(topic, 0, new FrameBuffer().take(0, 20));
    kafka.send(topic, 1, new FrameBuffer().take(0, 20));

    List<Long> watermarks = readResumed(topic, 2, group, 1, 20);
    kafka.close();
    // Read again from the start (as a resumed worker once did), the frames of watermark 10 came
    // first.
    assertThat(watermarks, contains(20L));
  }

  /**
   * The watermarks a reader of {@code group} offers, resuming at its committed positions in {@code
   * topic}'s {@code partitions} partitions written by {@code producers} producers, until {@code
   * last} came (or 30 s passed).
   */
  private static List<Long> readResumed(
      String topic, int partitions, String group, int producers, long last) throws Exception {
    WatermarkInlet inlet = new WatermarkInlet();
    ExchangePoller resumed =
        new ExchangePoller(
            new KafkaConsumer<>(consumerConfig(group)),
            true,
            (id, at) -> {},
            Throwable::printStackTrace);
    resumed.read(topic, 0, partitions, new ConsumerChannel(inlet, 0, partitions, producers));
    Thread thread = new Thread(resumed);
    thread.start();
    awaitLast(inlet.watermarks, last);
    resumed.stop();
    thread.join();
    return inlet.watermarks;
  }
}
