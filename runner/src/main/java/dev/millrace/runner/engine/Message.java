package dev.millrace.runner.engine;

/** What travels through an inbox. Each message names the channel (edge and producer) it came on. */
sealed interface Message permits Message.Batch, Message.WatermarkAdvance {

  int channel();

  /** A run of elements, kept in order. */
  record Batch(int channel, Object[] items, int size) implements Message {}

  /** Everything the producer sends on this channel later is at or after {@code watermark}. */
  record WatermarkAdvance(int channel, long watermark) implements Message {}
}
