package dev.millrace.engine;

import dev.millrace.plan.Edge;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.KeyGroups;
import java.util.ArrayDeque;

/**
 * The producer side of one edge in one subtask when both ends run in this process: routes each
 * element to the consumer subtasks the edge kind says and packs them into batches. An edge with a
 * codec sends its elements encoded (a broadcast one encodes each element once), so its consumers
 * get what the codec makes of them; one without passes them as objects.
 *
 * <p>Writing never blocks. When a consumer's inbox is full, messages for it wait here in order, the
 * workers are woken once the inbox has room, and the subtask takes no new input until {@link
 * #tryFlushOverflow()} has moved them on: that is the backpressure. Operators that can emit without
 * bound from one call stop while {@link #isBlocked()}, so what waits stays about one batch.
 */
final class LocalEdgeWriter implements EdgeWriter {
  private final Edge edge;
  private final Quiescence quiescence;

  /** Names the operators on both sides of the edge, for errors. */
  private final String description;

  private final int producerSubtask;
  private final Inbox[] targets;
  private final int[] channels;
  private final int batchSize;
  private final Object[][] buffers;
  private final int[] sizes;

  /** Per target, when the edge has a codec. */
  private final EncodedBatchWriter[] encoded;

  private final ArrayDeque<Message>[] overflow;
  private int blockedTargets;
  private int nextRoundRobin;
  private long sentWatermark = Long.MIN_VALUE;

  @SuppressWarnings("unchecked")
  LocalEdgeWriter(
      Edge edge,
      String description,
      Quiescence quiescence,
      int producerSubtask,
      Inbox[] targets,
      int[] channels,
      int batchSize) {
    this.description = description;
    this.quiescence = quiescence;
    this.edge = edge;
    this.producerSubtask = producerSubtask;
    this.targets = targets;
    this.channels = channels;
    this.batchSize = batchSize;
    this.buffers = new Object[targets.length][];
    this.sizes = new int[targets.length];
    this.encoded = new EncodedBatchWriter[targets.length];
    if (edge.codec() != null) {
      for (int t = 0; t < targets.length; t++) {
        encoded[t] = new EncodedBatchWriter(edge.codec(), batchSize);
      }
    }
    this.overflow = new ArrayDeque[targets.length];
    this.nextRoundRobin = producerSubtask;
  }

  @Override
  public Edge edge() {
    return edge;
  }

  /** Elements emitted on this edge so far, by the thread stepping the producer. */
  private long emitted;

  @Override
  public long emitted() {
    return emitted;
  }

  @Override
  public void emit(Object element) throws Exception {
    emitted++;
    switch (edge.kind()) {
      case FORWARD -> add(producerSubtask, element);
      case HASH -> {
        int keyGroup = edge.keyGroups().keyGroupOf(element);
        add(KeyGroups.subtaskOf(keyGroup, edge.maxKeyGroups(), targets.length), element);
      }
      case BROADCAST -> {
        if (edge.codec() == null) {
          for (int t = 0; t < targets.length; t++) {
            add(t, element);
          }
        } else {
          broadcastEncoded(element);
        }
      }
      case REBALANCE -> {
        add(nextRoundRobin, element);
        nextRoundRobin = (nextRoundRobin + 1) % targets.length;
      }
    }
  }

  /**
   * Bigger batches are sent before they reach the batch size, so large elements queue in bounded
   * memory.
   */
  static final int MAX_BATCH_BYTES = 1 << 20;

  private void add(int target, Object element) throws Exception {
    EncodedBatchWriter writer = encoded[target];
    if (writer != null) {
      encode(writer, element);
      if (writer.count() == batchSize || writer.bytes() >= MAX_BATCH_BYTES) {
        flush(target);
      }
      return;
    }
    Object[] buffer = buffers[target];
    if (buffer == null) {
      buffer = new Object[batchSize];
      buffers[target] = buffer;
    }
    buffer[sizes[target]++] = element;
    if (sizes[target] == batchSize) {
      flush(target);
    }
  }

  /**
   * Encodes the element once, into the first target's batch, and copies its bytes to the others'.
   */
  private void broadcastEncoded(Object element) throws Exception {
    EncodedBatchWriter first = encoded[0];
    encode(first, element);
    int index = first.count() - 1;
    for (int t = 1; t < targets.length; t++) {
      encoded[t].copyElement(first, index);
    }
    for (int t = 0; t < targets.length; t++) {
      if (encoded[t].count() == batchSize || encoded[t].bytes() >= MAX_BATCH_BYTES) {
        flush(t);
      }
    }
  }

  private void encode(EncodedBatchWriter writer, Object element) {
    try {
      writer.add(element);
    } catch (Exception e) {
      throw new ElementCodingException(
          "could not encode an element for the exchange " + description + ": " + e, e);
    }
  }

  private void flush(int target) {
    flush(target, Message.NO_WATERMARK);
  }

  /** Sends what is buffered for {@code target}, with {@code watermark} after it; false if empty. */
  private boolean flush(int target, long watermark) {
    EncodedBatchWriter writer = encoded[target];
    if (writer != null) {
      if (writer.count() == 0) {
        return false;
      }
      send(target, writer.take(channels[target], watermark));
      return true;
    }
    if (sizes[target] == 0) {
      return false;
    }
    send(target, new Message.Batch(channels[target], buffers[target], sizes[target], watermark));
    buffers[target] = null;
    sizes[target] = 0;
    return true;
  }

  private void send(int target, Message message) {
    quiescence.messageSent();
    ArrayDeque<Message> waiting = overflow[target];
    if (waiting != null && !waiting.isEmpty()) {
      waiting.addLast(message);
    } else if (!targets[target].offerOrWaitForRoom(message)) {
      if (waiting == null) {
        waiting = new ArrayDeque<>();
        overflow[target] = waiting;
      }
      waiting.addLast(message);
      blockedTargets++;
    }
  }

  /** True while some messages wait for room in a full inbox. */
  @Override
  public boolean isBlocked() {
    return blockedTargets > 0;
  }

  /** Moves waiting messages into inboxes that have room again; returns whether any moved. */
  @Override
  public boolean tryFlushOverflow() {
    boolean moved = false;
    for (int t = 0; t < targets.length && blockedTargets > 0; t++) {
      ArrayDeque<Message> waiting = overflow[t];
      if (waiting == null || waiting.isEmpty()) {
        continue;
      }
      while (!waiting.isEmpty() && targets[t].offerOrWaitForRoom(waiting.peekFirst())) {
        waiting.removeFirst();
        moved = true;
      }
      if (waiting.isEmpty()) {
        blockedTargets--;
      }
    }
    return moved;
  }

  @Override
  public void flush() {
    for (int t = 0; t < targets.length; t++) {
      flush(t);
    }
  }

  /**
   * Flushes buffered elements and sends every consumer checkpoint {@code checkpointId}'s barrier
   * behind them.
   */
  @Override
  public void sendBarrier(long checkpointId) {
    flush();
    for (int t = 0; t < targets.length; t++) {
      if (edge.kind() != EdgeKind.FORWARD || t == producerSubtask) {
        send(t, new Message.Barrier(channels[t], checkpointId));
      }
    }
  }

  /**
   * Flushes buffered elements and tells every consumer the new watermark if it advanced: on the
   * last batch for a consumer, or in a message of its own behind the elements sent before, so no
   * consumer sees it before them.
   */
  @Override
  public boolean advanceWatermark(long watermark) {
    if (watermark <= sentWatermark) {
      flush();
      return false;
    }
    sentWatermark = watermark;
    for (int t = 0; t < targets.length; t++) {
      if (edge.kind() != EdgeKind.FORWARD || t == producerSubtask) {
        if (!flush(t, watermark)) {
          send(t, new Message.WatermarkAdvance(channels[t], watermark));
        }
      }
    }
    return true;
  }
}
