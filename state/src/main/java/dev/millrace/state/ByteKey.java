package dev.millrace.state;

import java.util.Arrays;

/**
 * A byte array as a hash-map key: equal by content, with its hash computed once. {@code
 * ByteBuffer.wrap} does the same job but hashes every byte again on each lookup, and the backend's
 * caches look keys up several times per state access.
 */
public final class ByteKey {
  private final byte[] bytes;
  private final int hash;

  ByteKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = hash(bytes);
  }

  byte[] bytes() {
    return bytes;
  }

  int length() {
    return bytes.length;
  }

  /**
   * A well-mixed hash of {@code bytes}. {@code Arrays.hashCode} maps short encodings (a varint of
   * two or three bytes) onto few values, so many distinct keys would share a hash.
   */
  public static int hash(byte[] bytes) {
    long h = fnv1a(bytes);
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return (int) h;
  }

  /** 64-bit FNV-1a of {@code bytes}, before any finaliser. */
  static long fnv1a(byte[] bytes) {
    long h = 0xcbf29ce484222325L;
    for (byte b : bytes) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ByteKey other && hash == other.hash && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
