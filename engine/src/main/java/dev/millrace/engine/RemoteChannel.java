package dev.millrace.engine;

/** One channel of a consumer subtask's inbox, fed by a remote exchange's transport. */
final class RemoteChannel implements RemoteInlet {
  private final Inbox inbox;
  private final int channel;

  RemoteChannel(Inbox inbox, int channel) {
    this.inbox = inbox;
    this.channel = channel;
  }

  @Override
  public boolean offer(byte[] data, int[] ends, int count, long watermark) {
    if (count == 0) {
      return watermark == NO_WATERMARK || offerWatermark(watermark);
    }
    return inbox.offerOrWaitForRoom(
        new Message.EncodedBatch(channel, data, ends, count, watermark));
  }

  @Override
  public boolean offerBarrier(long checkpointId) {
    return inbox.offerOrWaitForRoom(new Message.Barrier(channel, checkpointId));
  }

  @Override
  public boolean offerWatermark(long watermark) {
    return inbox.offerOrWaitForRoom(new Message.WatermarkAdvance(channel, watermark));
  }
}
