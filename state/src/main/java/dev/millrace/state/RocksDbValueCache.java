package dev.millrace.state;

import java.util.HashMap;
import java.util.Map;

/**
 * Values read or written, by key, in front of a {@link RocksDbStateBackend}'s batch; {@link
 * #ABSENT} marks a key known to hold nothing. A put of a large value only forgets its key, so big
 * writes cannot crowd the cache; a small one is kept, because read-modify-write cells (counters,
 * map entries) read right back what they wrote. Appends bypass it: their entries are only read back
 * by scans. The backend is its database's only writer, so entries stay true across commits; a
 * discard drops them with the batch. Point reads (value cells, map entries, timer identities) are
 * most of a stateful job's RocksDB calls, and the same keys recur.
 */
final class RocksDbValueCache {
  /** A key known to hold nothing; compared by identity (a real empty value is another array). */
  static final byte[] ABSENT = new byte[0];

  /** The cache is emptied when it would hold more than this many bytes of keys and values. */
  private static final long MAX_CACHED_BYTES = 16L << 20;

  /** Puts of values up to this size are cached; larger ones only invalidate. */
  private static final int MAX_CACHED_PUT = 256;

  private final Map<ByteKey, byte[]> values = new HashMap<>();
  private long cachedBytes;

  /** Whether a put of {@code value} is worth keeping. */
  static boolean keepsPutOf(byte[] value) {
    return value.length <= MAX_CACHED_PUT;
  }

  /** The cached value (possibly {@link #ABSENT}), or null when the key is not cached. */
  byte[] get(ByteKey key) {
    return values.get(key);
  }

  void remember(ByteKey key, byte[] value) {
    long size = key.length() + value.length + 64L;
    if (cachedBytes + size > MAX_CACHED_BYTES) {
      clear();
      if (size > MAX_CACHED_BYTES) {
        return;
      }
    }
    byte[] previous = values.put(key, value);
    cachedBytes += size - (previous == null ? 0 : key.length() + previous.length + 64L);
  }

  void forget(ByteKey key) {
    byte[] previous = values.remove(key);
    if (previous != null) {
      cachedBytes -= key.length() + previous.length + 64L;
    }
  }

  void clear() {
    values.clear();
    cachedBytes = 0;
  }
}
