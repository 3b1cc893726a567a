package dev.millrace.translation.operators;

import java.util.Arrays;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.CoderUtils;

/** A key as Beam groups it: by its encoded bytes, not by {@code equals}. */
public final class EncodedKey {
  private final byte[] bytes;
  private final int hash;

  private EncodedKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = hash(bytes);
  }

  /**
   * A well-mixed hash of encoded bytes. {@code Arrays.hashCode} maps short encodings (a varint id
   * of two or three bytes) onto few values, roughly eight keys to a value, and every collision is
   * an equals walk through cold memory in a large table.
   */
  static int hash(byte[] bytes) {
    long h = 0xcbf29ce484222325L;
    for (byte b : bytes) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return (int) h;
  }

  public static <K> EncodedKey of(Coder<K> coder, K key) throws CoderException {
    return new EncodedKey(CoderUtils.encodeToByteArray(coder, key));
  }

  /** A key already encoded, as stored. */
  public static EncodedKey ofBytes(byte[] bytes) {
    return new EncodedKey(bytes);
  }

  public byte[] bytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncodedKey other && hash == other.hash && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
