package dev.millrace.engine;

/** What travels through an inbox. Each message names the channel (edge and producer) it came on. */
sealed interface Message
    permits Message.Batch, Message.EncodedBatch, Message.WatermarkAdvance, Message.Barrier {

  /** {@link Batch#watermark()} of a batch that carries no watermark. */
  long NO_WATERMARK = Long.MIN_VALUE;

  int channel();

  /**
   * A run of elements, kept in order, and the watermark that follows them when it is not {@link
   * #NO_WATERMARK}: a bundle's last elements and its watermark arrive together, so a consumer never
   * handles one without the other (a processing-time trigger could fire in between).
   */
  record Batch(int channel, Object[] items, int size, long watermark) implements Message {}

  /**
   * A {@link Batch} of an edge with a codec: element {@code i} is {@code data[ends[i - 1],
   * ends[i])} (from 0 for the first), decoded by the consumer.
   */
  record EncodedBatch(int channel, byte[] data, int[] ends, int size, long watermark)
      implements Message {}

  /** Everything the producer sends on this channel later is at or after {@code watermark}. */
  record WatermarkAdvance(int channel, long watermark) implements Message {}

  /**
   * Everything the producer sent on this channel before is in checkpoint {@code checkpointId}'s
   * snapshots; everything after belongs after it.
   */
  record Barrier(int channel, long checkpointId) implements Message {}
}
