package dev.millrace.engine;

/**
 * How a transport feeds one consumer subtask the elements of an edge that crosses processes (see
 * {@link RemoteExchange}): one channel of the subtask's inbox, which its transport may call from a
 * thread of its own. The transport delivers in order and tells the channel's watermark: the minimum
 * over everything that sends on the edge, END once all of it has ended.
 */
public interface RemoteInlet {
  /** The watermark of {@link #offer} when none follows the elements. */
  long NO_WATERMARK = Message.NO_WATERMARK;

  /**
   * Offers {@code count} elements as the edge's codec wrote them, element {@code i} being {@code
   * data[ends[i - 1], ends[i])} (from 0 for the first), then {@code watermark} unless it is {@link
   * #NO_WATERMARK}. False when the subtask's inbox is full: nothing was taken, offer it again
   * later.
   */
  boolean offer(byte[] data, int[] ends, int count, long watermark);

  /** Offers a watermark alone; false when the inbox is full. */
  boolean offerWatermark(long watermark);

  /**
   * Offers checkpoint {@code checkpointId}'s barrier: everything offered before belongs before the
   * checkpoint, everything after behind it. False when the inbox is full.
   */
  boolean offerBarrier(long checkpointId);
}
