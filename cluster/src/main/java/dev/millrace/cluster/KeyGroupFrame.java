package dev.millrace.cluster;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One record of an exchange topic: the coder-encoded elements one bundle of one producer sends to
 * one key group, framed with a format version, the key group and the element count. The record goes
 * to the partition the key group names, so Java and portable jobs, which compute key groups from
 * the same encoded keys, agree on where every key lives.
 */
public record KeyGroupFrame(int keyGroup, List<byte[]> elements) {
  static final byte FORMAT = 1;

  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + elements.size() * 32);
    out.write(FORMAT);
    writeInt(out, keyGroup);
    writeVarInt(out, elements.size());
    for (byte[] element : elements) {
      writeVarInt(out, element.length);
      out.writeBytes(element);
    }
    return out.toByteArray();
  }

  public static KeyGroupFrame decode(byte[] record) {
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
    int keyGroup = in.getInt();
    int count = readVarInt(in);
    List<byte[]> elements = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] element = new byte[readVarInt(in)];
      in.get(element);
      elements.add(element);
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException(
          "an exchange record has " + in.remaining() + " bytes after its last element");
    }
    return new KeyGroupFrame(keyGroup, elements);
  }

  private static void writeInt(ByteArrayOutputStream out, int value) {
    out.write(value >>> 24);
    out.write(value >>> 16);
    out.write(value >>> 8);
    out.write(value);
  }

  private static void writeVarInt(ByteArrayOutputStream out, int value) {
    while ((value & ~0x7F) != 0) {
      out.write((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out.write(value);
  }

  private static int readVarInt(ByteBuffer in) {
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
