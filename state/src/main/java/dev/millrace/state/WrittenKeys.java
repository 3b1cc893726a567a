package dev.millrace.state;

import java.util.ArrayList;
import java.util.List;

/**
 * A Bloom filter of every key a backend has put since it was opened empty, so that a point read of
 * a key never written (a new window's accumulator, a new map entry, a new timer's identity) finds
 * nothing without crossing JNI into RocksDB. Reads of keys the filter may hold go to RocksDB as
 * before; a false positive costs only that read.
 *
 * <p>It grows in layers, each twice the size of the last (a scalable Bloom filter), about 10 bits
 * and 1% false positives per key. Past {@link #MAX_KEYS} keys it gives up and answers "maybe" for
 * every key, as it does for a backend restored from a checkpoint, whose keys it never saw.
 */
final class WrittenKeys {
  static final long MAX_KEYS = 8_000_000;
  private static final int FIRST_CAPACITY = 1 << 16;
  private static final int BITS_PER_KEY = 10;
  private static final int HASHES = 7;

  private final List<long[]> layers = new ArrayList<>();
  private int capacity;
  private int inLastLayer;
  private long keys;
  private boolean knowsAll;

  private WrittenKeys(boolean knowsAll) {
    this.knowsAll = knowsAll;
  }

  /** For a backend opened empty: every key it puts goes through {@link #add}. */
  static WrittenKeys empty() {
    return new WrittenKeys(true);
  }

  /** For a backend that holds keys this filter never saw: every key may be there. */
  static WrittenKeys unknown() {
    return new WrittenKeys(false);
  }

  /** Whether {@code key} may have been put; false only if it certainly was not. */
  boolean mayContain(byte[] key) {
    if (!knowsAll) {
      return true;
    }
    long hash = hash(key);
    for (long[] bits : layers) {
      if (contains(bits, hash)) {
        return true;
      }
    }
    return false;
  }

  void add(byte[] key) {
    if (!knowsAll) {
      return;
    }
    long hash = hash(key);
    for (long[] bits : layers) {
      if (contains(bits, hash)) {
        return; // already there, or indistinguishable from a key that is
      }
    }
    if (layers.isEmpty() || inLastLayer >= capacity) {
      if (keys >= MAX_KEYS) {
        knowsAll = false;
        layers.clear();
        return;
      }
      capacity = layers.isEmpty() ? FIRST_CAPACITY : capacity * 2;
      layers.add(new long[(int) ((long) capacity * BITS_PER_KEY / 64)]);
      inLastLayer = 0;
    }
    long[] bits = layers.get(layers.size() - 1);
    long size = (long) bits.length * 64;
    int h1 = (int) hash;
    int h2 = (int) (hash >>> 32);
    for (int i = 0; i < HASHES; i++) {
      long bit = Integer.toUnsignedLong(h1 + i * h2) % size;
      bits[(int) (bit >>> 6)] |= 1L << bit;
    }
    inLastLayer++;
    keys++;
  }

  private static boolean contains(long[] bits, long hash) {
    long size = (long) bits.length * 64;
    int h1 = (int) hash;
    int h2 = (int) (hash >>> 32);
    for (int i = 0; i < HASHES; i++) {
      long bit = Integer.toUnsignedLong(h1 + i * h2) % size;
      if ((bits[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** 64-bit FNV-1a, then a murmur finaliser so both halves are well mixed. */
  private static long hash(byte[] key) {
    long h = ByteKey.fnv1a(key);
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
