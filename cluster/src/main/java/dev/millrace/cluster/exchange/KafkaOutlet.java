package dev.millrace.cluster.exchange;

import dev.millrace.engine.RemoteOutlet;
import dev.millrace.plan.Edge;
import dev.millrace.plan.Watermarks;
import java.util.ArrayDeque;

/**
 * Where one producer subtask sends a remote edge's elements: into a frame per partition (the key
 * group of a HASH edge, round robin over the consumers of a REBALANCE edge, the one partition of a
 * BROADCAST edge), produced when it grows large and at each flush (inside a transaction a flush
 * sends only frames that have grown; the rest go at the barrier). A watermark goes to every
 * partition, so whoever reads one knows how far this producer has come. Inside transactions it goes
 * at the next barrier, once: consumers see a transaction's records only when it commits, so the
 * watermarks of the advances before it would say nothing the last one does not, and each would cost
 * a record in every partition (and the commit a marker in each).
 */
final class KafkaOutlet implements RemoteOutlet {
  /** A frame is sent once it holds this much, without waiting for the bundle's end. */
  static final int FRAME_BYTES = 256 * 1024;

  /** Inside a transaction, a flush sends only frames this large ... */
  static final int GROWN_FRAME_BYTES = 32 * 1024;

  /** ... unless the outlet holds this much unsent in all; the barrier sends everything. */
  static final long BUFFERED_BYTES = 4L << 20;

  private final Edge edge;
  private final String topic;
  private final String description;
  private final int producer;
  private final ExchangeProducer kafka;
  private final SendWindow window;
  private final Runnable wakeWorkers;
  private final FrameBuffer[] buffers;
  private int nextRoundRobin;

  /** Held frames past which the subtask takes no new input until the checkpoint is committed. */
  static final long HELD_BYTES = 16L << 20;

  /** Frames sent after a checkpoint's barrier, kept until its completion is committed. */
  private final ArrayDeque<Held> held = new ArrayDeque<>();

  private long heldBytes;
  private boolean holding;

  /** The latest watermark, and the last one sent to every partition. */
  private long watermark = Long.MIN_VALUE;

  private long sentWatermark = Long.MIN_VALUE;

  private record Held(int partition, byte[] frame) {}

  KafkaOutlet(
      Edge edge,
      String topic,
      String description,
      int partitions,
      int producer,
      ExchangeProducer kafka,
      SendWindow window,
      Runnable wakeWorkers) {
    this.edge = edge;
    this.topic = topic;
    this.description = description;
    this.producer = producer;
    this.kafka = kafka;
    this.window = window;
    this.wakeWorkers = wakeWorkers;
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
    if (!kafka.transactional()) {
      flushAll();
      return;
    }
    // Inside a transaction nobody sees a frame before the commit, so a small one may grow until
    // the barrier: a bundle spread over 128 key groups would otherwise send 128 records of a few
    // elements each, and every record costs the broker and the reader as much as its bytes do.
    long buffered = 0;
    for (FrameBuffer buffer : buffers) {
      buffered += buffer == null ? 0 : buffer.bytes();
    }
    if (buffered >= BUFFERED_BYTES) {
      flushAll();
      return;
    }
    for (int p = 0; p < buffers.length; p++) {
      if (buffers[p] != null && buffers[p].bytes() >= GROWN_FRAME_BYTES) {
        send(p, ExchangeFrame.NO_WATERMARK);
      }
    }
  }

  private void flushAll() {
    for (int p = 0; p < buffers.length; p++) {
      if (buffers[p] != null && buffers[p].count() > 0) {
        send(p, ExchangeFrame.NO_WATERMARK);
      }
    }
  }

  @Override
  public void advanceWatermark(long watermark) {
    checkSent();
    this.watermark = Math.max(this.watermark, watermark);
    // The end goes at once: a consumer waiting for it need not wait for this worker's next commit
    // to learn there is nothing more (the commit that ends the share carries it anyway).
    if (kafka.transactional() && watermark != Watermarks.END) {
      flush();
    } else {
      sendWatermark();
    }
  }

  /** Every partition hears the latest watermark, after this producer's elements before it. */
  private void sendWatermark() {
    if (watermark == sentWatermark) {
      flushAll();
      return;
    }
    for (int p = 0; p < buffers.length; p++) {
      if (buffers[p] == null) {
        buffers[p] = new FrameBuffer();
      }
      send(p, watermark);
    }
    sentWatermark = watermark;
  }

  private void send(int partition, long watermark) {
    byte[] frame = buffers[partition].take(producer, watermark);
    synchronized (this) {
      if (holding) {
        held.addLast(new Held(partition, frame));
        heldBytes += frame.length;
        return;
      }
    }
    kafka.send(topic, partition, frame);
  }

  @Override
  public void barrier(long checkpointId) {
    checkSent();
    sendWatermark();
    if (kafka.transactional()) {
      synchronized (this) {
        holding = true;
      }
    }
  }

  /**
   * The checkpoint whose barrier came last is committed: what was held goes out, in the new
   * transaction. Called by the thread that committed.
   */
  synchronized void release() {
    holding = false;
    while (!held.isEmpty()) {
      Held next = held.removeFirst();
      kafka.send(topic, next.partition(), next.frame());
    }
    boolean wasBlocked = heldBytes >= HELD_BYTES;
    heldBytes = 0;
    if (wasBlocked) {
      wakeWorkers.run();
    }
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
    if (window.failure() != null) {
      return false;
    }
    synchronized (this) {
      if (heldBytes >= HELD_BYTES) {
        return true;
      }
    }
    return window.isFull();
  }

  @Override
  public boolean tryFlushOverflow() {
    // Nothing waits here: what was sent is the producer's until the broker acknowledges it.
    return false;
  }
}
