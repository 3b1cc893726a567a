package dev.millrace.engine;

import dev.millrace.plan.ElementCodec;
import java.util.List;

/**
 * Turns the messages of a subtask's inbox into what its chain sees: each batch's elements (decoded
 * when the channel carries them encoded) to the operator input its channel feeds, and the watermark
 * behind them to the subtask's {@link PortWatermarks}.
 */
final class ChannelReader {
  /** Per channel: the operator and input port it feeds, and its elements' codec (null: objects). */
  private final int[] channelOperator;

  private final int[] channelPort;
  private final ElementCodec[] channelCodec;
  private final String[] operatorNames;
  private final PortWatermarks watermarks;
  private final ChainWiring.Delivery delivery;

  ChannelReader(
      List<JobExecution.ChannelTarget> channels,
      String[] operatorNames,
      PortWatermarks watermarks,
      ChainWiring.Delivery delivery) {
    this.channelOperator =
        channels.stream().mapToInt(JobExecution.ChannelTarget::operator).toArray();
    this.channelPort = channels.stream().mapToInt(JobExecution.ChannelTarget::port).toArray();
    this.channelCodec =
        channels.stream().map(JobExecution.ChannelTarget::codec).toArray(ElementCodec[]::new);
    this.operatorNames = operatorNames;
    this.watermarks = watermarks;
    this.delivery = delivery;
  }

  /** Delivers what {@code message} carries; returns how many elements that was. */
  int read(Message message) throws Exception {
    if (message instanceof Message.EncodedBatch batch) {
      int c = batch.channel();
      int op = channelOperator[c];
      int port = channelPort[c];
      ElementCodec codec = channelCodec[c];
      byte[] data = batch.data();
      int[] ends = batch.ends();
      int start = 0;
      for (int i = 0; i < batch.size(); i++) {
        delivery.deliver(op, port, decode(codec, op, data, start, ends[i] - start));
        start = ends[i];
      }
      watermarks.advanceChannel(c, batch.watermark());
      return batch.size();
    }
    if (message instanceof Message.Batch batch) {
      int c = batch.channel();
      int op = channelOperator[c];
      int port = channelPort[c];
      Object[] items = batch.items();
      for (int i = 0; i < batch.size(); i++) {
        delivery.deliver(op, port, items[i]);
      }
      watermarks.advanceChannel(c, batch.watermark());
      return batch.size();
    }
    Message.WatermarkAdvance advance = (Message.WatermarkAdvance) message;
    watermarks.advanceChannel(advance.channel(), advance.watermark());
    return 0;
  }

  private Object decode(ElementCodec codec, int op, byte[] data, int offset, int length)
      throws Exception {
    try {
      return codec.decode(data, offset, length);
    } catch (Exception e) {
      throw new ElementCodingException(
          "could not decode an element arriving at " + operatorNames[op] + ": " + e, e);
    }
  }
}
