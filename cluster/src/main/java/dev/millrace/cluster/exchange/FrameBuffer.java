package dev.millrace.cluster.exchange;

import dev.millrace.plan.ElementCodec;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The elements one producer subtask has for one partition, encoded and length-prefixed as an {@link
 * ExchangeFrame} holds them, until they are sent.
 */
final class FrameBuffer {
  private final Scratch scratch = new Scratch();
  private byte[] body = new byte[256];
  private int length;
  private int count;

  /** Encodes {@code element}; on failure the buffer is as it was. */
  void add(ElementCodec codec, Object element) throws Exception {
    scratch.length = 0;
    codec.encode(element, scratch);
    ensure(5 + scratch.length);
    length = writeVarInt(body, length, scratch.length);
    System.arraycopy(scratch.bytes, 0, body, length, scratch.length);
    length += scratch.length;
    count++;
  }

  int count() {
    return count;
  }

  int bytes() {
    return length;
  }

  /** The frame of what was added, with {@code watermark} after it; the buffer is empty again. */
  byte[] take(int producer, long watermark) {
    byte[] header = new byte[1 + 5 + 8 + 5];
    header[0] = ExchangeFrame.FORMAT;
    int at = writeVarInt(header, 1, producer);
    for (int shift = 56; shift >= 0; shift -= 8) {
      header[at++] = (byte) (watermark >>> shift);
    }
    at = writeVarInt(header, at, count);
    byte[] record = new byte[at + length];
    System.arraycopy(header, 0, record, 0, at);
    System.arraycopy(body, 0, record, at, length);
    length = 0;
    count = 0;
    if (body.length > 1 << 20) {
      // A burst of large elements does not keep its buffer for the rest of the job.
      body = new byte[256];
    }
    return record;
  }

  private void ensure(int more) {
    if (length + more > body.length) {
      body = Arrays.copyOf(body, Math.max(body.length * 2, length + more));
    }
  }

  private static int writeVarInt(byte[] to, int at, int value) {
    while ((value & ~0x7F) != 0) {
      to[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    to[at++] = (byte) value;
    return at;
  }

  /** Where the codec writes one element. */
  private static final class Scratch extends OutputStream {
    byte[] bytes = new byte[64];
    int length;

    @Override
    public void write(int b) {
      grow(1);
      bytes[length++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      grow(len);
      System.arraycopy(b, off, bytes, length, len);
      length += len;
    }

    private void grow(int more) {
      if (length + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
      }
    }
  }
}
