package dev.millrace.runner.engine;

import dev.millrace.plan.Edge;
import dev.millrace.plan.Emitter;
import dev.millrace.plan.KeyGroups;

/**
 * The producer side of one edge in one subtask: routes each element to the consumer subtasks the
 * edge kind says and packs them into batches. Elements pass as objects; nothing is encoded.
 */
final class EdgeWriter implements Emitter {
  private final Edge edge;
  private final int producerSubtask;
  private final Inbox[] targets;
  private final int[] channels;
  private final int batchSize;
  private final Object[][] buffers;
  private final int[] sizes;
  private int nextRoundRobin;
  private long sentWatermark = Long.MIN_VALUE;

  EdgeWriter(Edge edge, int producerSubtask, Inbox[] targets, int[] channels, int batchSize) {
    this.edge = edge;
    this.producerSubtask = producerSubtask;
    this.targets = targets;
    this.channels = channels;
    this.batchSize = batchSize;
    this.buffers = new Object[targets.length][];
    this.sizes = new int[targets.length];
    this.nextRoundRobin = producerSubtask;
  }

  Edge edge() {
    return edge;
  }

  @Override
  public void emit(Object element) throws Exception {
    switch (edge.kind()) {
      case FORWARD -> add(producerSubtask, element);
      case HASH -> {
        int keyGroup = edge.keyGroups().keyGroupOf(element);
        add(KeyGroups.subtaskOf(keyGroup, edge.maxKeyGroups(), targets.length), element);
      }
      case BROADCAST -> {
        for (int t = 0; t < targets.length; t++) {
          add(t, element);
        }
      }
      case REBALANCE -> {
        add(nextRoundRobin, element);
        nextRoundRobin = (nextRoundRobin + 1) % targets.length;
      }
    }
  }

  private void add(int target, Object element) throws InterruptedException {
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

  private void flush(int target) throws InterruptedException {
    if (sizes[target] > 0) {
      targets[target].put(new Message.Batch(channels[target], buffers[target], sizes[target]));
      buffers[target] = null;
      sizes[target] = 0;
    }
  }

  void flush() throws InterruptedException {
    for (int t = 0; t < targets.length; t++) {
      flush(t);
    }
  }

  /** Flushes buffered elements, then tells every consumer the new watermark if it advanced. */
  void advanceWatermark(long watermark) throws InterruptedException {
    flush();
    if (watermark <= sentWatermark) {
      return;
    }
    sentWatermark = watermark;
    for (int t = 0; t < targets.length; t++) {
      if (edge.kind() != dev.millrace.plan.EdgeKind.FORWARD || t == producerSubtask) {
        targets[t].put(new Message.WatermarkAdvance(channels[t], watermark));
      }
    }
  }
}
