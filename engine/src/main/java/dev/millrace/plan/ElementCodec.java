package dev.millrace.plan;

import java.io.OutputStream;

/**
 * How the elements of an edge cross it: the producer encodes each one, the consumer decodes it.
 * What arrives is then what the collection's coder makes of the element, as it would be between
 * machines, never the producer's own object (which it may still change, and which may carry what
 * its coder does not). An edge without a codec passes objects as they are.
 *
 * <p>One instance serves every subtask of an edge at once, so implementations keep no state between
 * calls.
 */
public interface ElementCodec {

  /**
   * Writes {@code element} to {@code out}, as the only thing in it (the reader knows its length).
   */
  void encode(Object element, OutputStream out) throws Exception;

  /** Reads back an element that {@link #encode} wrote to {@code bytes[offset, offset + length)}. */
  Object decode(byte[] bytes, int offset, int length) throws Exception;
}
