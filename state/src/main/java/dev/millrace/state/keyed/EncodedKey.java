package dev.millrace.state.keyed;

import dev.millrace.state.ByteKey;
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
    this.hash = ByteKey.hash(bytes);
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
