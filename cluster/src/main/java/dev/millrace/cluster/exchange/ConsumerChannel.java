package dev.millrace.cluster.exchange;

import dev.millrace.engine.RemoteInlet;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One consumer subtask's end of a remote edge: the frames read for it but not yet taken by its
 * inbox, in order, and the watermark table from which its channel's watermark comes: the latest
 * watermark of every producer subtask in every partition it reads, the minimum of which it is.
 */
final class ConsumerChannel {
  private final RemoteInlet inlet;
  private final int firstPartition;

  /** [partition - firstPartition][producer] */
  private final long[][] watermarks;

  private final ArrayDeque<Delivery> waiting = new ArrayDeque<>();
  private long delivered = Long.MIN_VALUE;

  /** Watermarks were seeded from a commit: the channel's may be offered before any frame. */
  private boolean seeded;

  /**
   * A frame of one partition, and whether its elements went in already (its watermark not); or,
   * with no frame, a checkpoint's barrier.
   */
  private record Delivery(int partition, ExchangeFrame frame, boolean elementsIn, long barrier) {}

  ConsumerChannel(RemoteInlet inlet, int firstPartition, int partitions, int producers) {
    this.inlet = inlet;
    this.firstPartition = firstPartition;
    this.watermarks = new long[partitions][producers];
    for (long[] row : watermarks) {
      Arrays.fill(row, Long.MIN_VALUE);
    }
  }

  int producers() {
    return watermarks[0].length;
  }

  /**
   * Before any frame: the producers' watermarks {@code row} in {@code partition} as committed with
   * the position the reading resumes from (see {@link ReadWatermarks}).
   */
  void seed(int partition, long[] row) {
    long[] mine = watermarks[partition - firstPartition];
    for (int producer = 0; producer < mine.length; producer++) {
      mine[producer] = Math.max(mine[producer], row[producer]);
    }
    seeded = true;
  }

  void add(int partition, ExchangeFrame frame) {
    waiting.addLast(new Delivery(partition, frame, false, 0));
  }

  /** Checkpoint {@code checkpointId}'s barrier goes in behind every frame read so far. */
  void addBarrier(long checkpointId) {
    waiting.addLast(new Delivery(-1, null, false, checkpointId));
  }

  boolean hasWaiting() {
    return !waiting.isEmpty();
  }

  /** Moves waiting frames into the inbox until it is full; returns whether any moved. */
  boolean deliver() {
    boolean moved = false;
    if (seeded) {
      long channel = least();
      if (channel > delivered) {
        if (!inlet.offerWatermark(channel)) {
          return false;
        }
        delivered = channel;
        moved = true;
      }
      seeded = false;
    }
    Delivery next;
    while ((next = waiting.peekFirst()) != null) {
      ExchangeFrame frame = next.frame();
      if (frame == null) {
        if (!inlet.offerBarrier(next.barrier())) {
          return moved;
        }
        waiting.removeFirst();
        moved = true;
        continue;
      }
      if (!next.elementsIn() && frame.count() > 0) {
        if (!inlet.offer(frame.data(), frame.ends(), frame.count(), RemoteInlet.NO_WATERMARK)) {
          return moved;
        }
        moved = true;
      }
      if (frame.watermark() != ExchangeFrame.NO_WATERMARK) {
        long channel = advance(next.partition(), frame.producer(), frame.watermark());
        if (channel > delivered) {
          if (!inlet.offerWatermark(channel)) {
            waiting.removeFirst();
            waiting.addFirst(new Delivery(next.partition(), frame, true, 0));
            return moved;
          }
          delivered = channel;
        }
      }
      waiting.removeFirst();
      moved = true;
    }
    return moved;
  }

  /** Notes a producer's watermark in a partition; returns the channel's, the minimum of all. */
  private long advance(int partition, int producer, long watermark) {
    long[] row = watermarks[partition - firstPartition];
    if (producer < 0 || producer >= row.length) {
      throw new IllegalArgumentException(
          "a frame from producer subtask " + producer + " of " + row.length);
    }
    row[producer] = Math.max(row[producer], watermark);
    return least();
  }

  private long least() {
    long min = Long.MAX_VALUE;
    for (long[] r : watermarks) {
      for (long w : r) {
        min = Math.min(min, w);
      }
    }
    return min;
  }
}
