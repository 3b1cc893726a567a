package dev.millrace.cluster.exchange;

import dev.millrace.engine.RemoteOutlet;
import dev.millrace.plan.Edge;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Where one producer subtask sends a remote edge's elements: into a frame per partition (the key
 * group of a HASH edge, round robin over the consumers of a REBALANCE edge, the one partition of a
 * BROADCAST edge), produced when it grows large, at each flush, and with every watermark: a
 * watermark goes to every partition, so whoever reads one knows how far this producer has come.
 */
final class KafkaOutlet implements RemoteOutlet {
  /** A frame is sent once it holds this much, without waiting for the bundle's end. */
  static final int FRAME_BYTES = 256 * 1024;

  private final Edge edge;
  private final String topic;
  private final String description;
  private final int producer;
  private final Producer<byte[], byte[]> kafka;
  private final SendWindow window;
  private final FrameBuffer[] buffers;
  private int nextRoundRobin;

  KafkaOutlet(
      Edge edge,
      String topic,
      String description,
      int partitions,
      int producer,
      Producer<byte[], byte[]> kafka,
      SendWindow window) {
    this.edge = edge;
    this.topic = topic;
    this.description = description;
    this.producer = producer;
    this.kafka = kafka;
    this.window = window;
    this.buffers = new FrameBuffer[partitions];
    this.nextRoundRobin = producer % partitions;
  }

  @Override
  public void emit(Object element) throws Exception {
    checkSent();
    int partition =
        switch (edge.kind()) {
          case HASH -> edge.keyGroups().keyGroupOf(element);
          case REBALANCE -> {
            int p = nextRoundRobin;
            nextRoundRobin = (nextRoundRobin + 1) % buffers.length;
            yield p;
          }
          default -> 0;
        };
    FrameBuffer buffer = buffers[partition];
    if (buffer == null) {
      buffer = new FrameBuffer();
      buffers[partition] = buffer;
    }
    try {
      buffer.add(edge.codec(), element);
    } catch (Exception e) {
      throw new IllegalStateException(
          "could not encode an element for the exchange " + description + ": " + e, e);
    }
    if (buffer.bytes() >= FRAME_BYTES) {
      send(partition, ExchangeFrame.NO_WATERMARK);
    }
  }

  @Override
  public void flush() {
    checkSent();
    for (int p = 0; p < buffers.length; p++) {
      if (buffers[p] != null && buffers[p].count() > 0) {
        send(p, ExchangeFrame.NO_WATERMARK);
      }
    }
  }

  @Override
  public void advanceWatermark(long watermark) {
    checkSent();
    for (int p = 0; p < buffers.length; p++) {
      if (buffers[p] == null) {
        buffers[p] = new FrameBuffer();
      }
      send(p, watermark);
    }
  }

  private void send(int partition, long watermark) {
    byte[] frame = buffers[partition].take(producer, watermark);
    window.sent(frame.length);
    kafka.send(
        new ProducerRecord<>(topic, partition, null, frame),
        (metadata, error) -> window.acknowledged(frame.length, error));
  }

  private void checkSent() {
    Exception failure = window.failure();
    if (failure != null) {
      throw new IllegalStateException(
          "could not send the exchange " + description + " to topic " + topic + ": " + failure,
          failure);
    }
  }

  @Override
  public boolean isBlocked() {
    // A failed send is not waited out: the subtask goes on and its next call here fails the job.
    return window.isFull() && window.failure() == null;
  }

  @Override
  public boolean tryFlushOverflow() {
    // Nothing waits here: what was sent is the producer's until the broker acknowledges it.
    return false;
  }
}
