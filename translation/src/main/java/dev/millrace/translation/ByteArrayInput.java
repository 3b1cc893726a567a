package dev.millrace.translation;

import java.io.InputStream;
import java.util.Objects;

/**
 * A {@link java.io.ByteArrayInputStream} without its locks: an exchange's elements are decoded from
 * their batch's array by the one thread that reads the batch, and Beam's coders read a few bytes at
 * a time (every {@code readLong} and timestamp is one call), each of which took and gave back the
 * stream's monitor.
 */
final class ByteArrayInput extends InputStream {
  private final byte[] bytes;
  private final int end;
  private int position;
  private int mark;

  ByteArrayInput(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    this.bytes = bytes;
    this.position = offset;
    this.mark = offset;
    this.end = offset + length;
  }

  @Override
  public int read() {
    return position < end ? bytes[position++] & 0xff : -1;
  }

  @Override
  public int read(byte[] target, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, target.length);
    if (position >= end) {
      return -1;
    }
    int n = Math.min(length, end - position);
    System.arraycopy(bytes, position, target, offset, n);
    position += n;
    return n;
  }

  @Override
  public long skip(long n) {
    long skipped = Math.max(0, Math.min(n, end - position));
    position += (int) skipped;
    return skipped;
  }

  @Override
  public int available() {
    return end - position;
  }

  @Override
  public boolean markSupported() {
    return true;
  }

  @Override
  public void mark(int readLimit) {
    mark = position;
  }

  @Override
  public void reset() {
    position = mark;
  }
}
