package dev.millrace.engine;

import dev.millrace.plan.ElementCodec;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Packs the encoded elements bound for one consumer into one array, each element's end kept, so a
 * batch is two allocations however many elements it holds and its size in memory is known.
 */
final class EncodedBatchWriter extends OutputStream {
  private final ElementCodec codec;
  private byte[] data;
  private int[] ends;
  private int length;
  private int count;

  EncodedBatchWriter(ElementCodec codec, int batchSize) {
    this.codec = codec;
    this.data = new byte[256];
    this.ends = new int[batchSize];
  }

  /** Encodes {@code element} as the next one of the batch; on failure the batch is as it was. */
  void add(Object element) throws Exception {
    int start = length;
    try {
      codec.encode(element, this);
    } catch (Exception | Error e) {
      length = start;
      throw e;
    }
    endElement();
  }

  /** Appends the element {@code other} holds at {@code index}, already encoded. */
  void copyElement(EncodedBatchWriter other, int index) {
    int start = index == 0 ? 0 : other.ends[index - 1];
    write(other.data, start, other.ends[index] - start);
    endElement();
  }

  private void endElement() {
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
    }
    ends[count++] = length;
  }

  int count() {
    return count;
  }

  int bytes() {
    return length;
  }

  /** The batch so far as a message; this writer starts a new one. */
  Message.EncodedBatch take(int channel, long watermark) {
    Message.EncodedBatch batch = new Message.EncodedBatch(channel, data, ends, count, watermark);
    // The next batch is likely about as large as this one.
    data = new byte[Math.max(256, length)];
    ends = new int[ends.length];
    length = 0;
    count = 0;
    return batch;
  }

  @Override
  public void write(int b) {
    ensure(1);
    data[length++] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int len) {
    ensure(len);
    System.arraycopy(bytes, offset, data, length, len);
    length += len;
  }

  private void ensure(int more) {
    if (length + more > data.length) {
      long wanted = Math.max((long) data.length * 2, (long) length + more);
      if (wanted > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("an encoded batch would exceed 2 GB");
      }
      data = Arrays.copyOf(data, (int) wanted);
    }
  }
}
