package dev.millrace.state;

import java.util.Arrays;

/**
 * The byte range {@code [start, endExclusive)} holding all state of one key group, in RocksDB's
 * (unsigned lexicographic) key order. Checkpointing and rescaling copy or drop whole ranges.
 */
public final class KeyGroupRange {
  private final int keyGroup;
  private final byte[] start;
  private final byte[] endExclusive;

  KeyGroupRange(int keyGroup) {
    this.keyGroup = keyGroup;
    this.start = StateKeys.keyGroupPrefix(keyGroup);
    // Group g + 1 <= 0x8000 always fits in two bytes, so ranges of adjacent groups share a bound.
    int next = keyGroup + 1;
    this.endExclusive = new byte[] {(byte) (next >>> 8), (byte) next};
  }

  public int keyGroup() {
    return keyGroup;
  }

  /** Inclusive lower bound (a copy). */
  public byte[] start() {
    return start.clone();
  }

  /** Exclusive upper bound (a copy). */
  public byte[] endExclusive() {
    return endExclusive.clone();
  }

  public boolean contains(byte[] key) {
    return Arrays.compareUnsigned(key, start) >= 0 && Arrays.compareUnsigned(key, endExclusive) < 0;
  }

  @Override
  public String toString() {
    return "KeyGroupRange{" + keyGroup + "}";
  }
}
