package dev.millrace.state;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.CoderUtils;

/** Coder calls without checked exceptions: a coder failure on state is a bug, not a condition. */
final class Codec {
  private Codec() {}

  static <T> byte[] encode(Coder<T> coder, T value) {
    try {
      return CoderUtils.encodeToByteArray(coder, value);
    } catch (CoderException e) {
      throw new IllegalStateException("Cannot encode state with " + coder, e);
    }
  }

  static <T> T decode(Coder<T> coder, byte[] bytes) {
    try {
      return CoderUtils.decodeFromByteArray(coder, bytes);
    } catch (CoderException e) {
      throw new IllegalStateException("Cannot decode state with " + coder, e);
    }
  }

  static <T> T decode(Coder<T> coder, byte[] bytes, int from, int to) {
    return decode(coder, java.util.Arrays.copyOfRange(bytes, from, to));
  }
}
