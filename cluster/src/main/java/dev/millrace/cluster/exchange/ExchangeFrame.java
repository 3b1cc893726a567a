package dev.millrace.cluster.exchange;

import java.nio.ByteBuffer;

/**
 * One record of an exchange topic: the coder-encoded elements one producer subtask sends to one
 * partition in one go, and the watermark that follows them ({@link #NO_WATERMARK} when none). The
 * partition is the key group for a HASH edge, so Java and portable jobs, which compute key groups
 * from the same encoded keys, agree on where every key lives. A frame without elements carries a
 * watermark alone.
 *
 * <p>Layout: format (1 byte), producer subtask (varint), watermark (8 bytes), element count
 * (varint), then each element as a varint length and its bytes. Decoded, the elements lie end to
 * end in {@link #data()}, element {@code i} ending at {@code ends[i]}, as an inbox takes them.
 */
public record ExchangeFrame(int producer, byte[] data, int[] ends, int count, long watermark) {
  static final byte FORMAT = 2;

  public static final long NO_WATERMARK = Long.MIN_VALUE;

  public static ExchangeFrame decode(byte[] record) {
    ByteBuffer in = ByteBuffer.wrap(record);
    byte format = in.get();
    if (format != FORMAT) {
      throw new IllegalArgumentException(
          "an exchange record of format "
              + format
              + ", this worker reads format "
              + FORMAT
              + ": workers of one job must run the same Millrace");
    }
    int producer = readVarInt(in);
    long watermark = in.getLong();
    int count = readVarInt(in);
    // The elements' bytes are fewer than what remains: each has a length of at least one byte.
    byte[] data = new byte[Math.max(0, in.remaining() - count)];
    int[] ends = new int[count];
    int length = 0;
    for (int i = 0; i < count; i++) {
      int size = readVarInt(in);
      if (size > in.remaining() || length + size > data.length) {
        throw new IllegalArgumentException(
            "an exchange record's element " + i + " of " + count + " runs past its end");
      }
      in.get(data, length, size);
      length += size;
      ends[i] = length;
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException(
          "an exchange record has " + in.remaining() + " bytes after its last element");
    }
    return new ExchangeFrame(producer, data, ends, count, watermark);
  }

  static int readVarInt(ByteBuffer in) {
    int value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      byte b = in.get();
      value |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("a malformed length in an exchange record");
  }
}
