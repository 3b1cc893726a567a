package dev.millrace.state;

import org.apache.beam.sdk.coders.Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One stored value held decoded in a {@link CellCache}, with what the cache knows of it: whether
 * the backend holds it (a value never stored needs no delete), and its encoded size as counted. A
 * value cell holds one ({@link CachedValue}), a map cell one per entry ({@link CachedMap}). The
 * size-changing calls return the change, for {@link CellCache#grew}.
 */
class HeldValue<T> {
  boolean present;
  @Nullable T value;

  /** Whether the backend holds the value; null when not known. */
  @Nullable Boolean stored;

  /** The encoded size last seen, as the cache counts it. */
  int size;

  /** Writes so far: the size is measured at the 1st, 2nd, 4th, 8th... */
  private int writes;

  /** Takes what the backend holds ({@code bytes}, null for nothing). */
  int load(byte @Nullable [] bytes, Coder<T> coder) {
    present = bytes != null;
    stored = present;
    value = present ? Codec.decode(coder, bytes) : null;
    return resize(present ? bytes.length : 0);
  }

  int set(@Nullable T newValue, Coder<T> coder) {
    if (newValue == null) {
      // Only a coder that takes null may store it: fail here, as an immediate write would.
      Codec.encode(coder, newValue);
    }
    value = newValue;
    present = true;
    return CellCache.measuresWrite(++writes) ? resize(Codec.encode(coder, newValue).length) : 0;
  }

  void clear() {
    value = null;
    present = false;
  }

  /** Stages the value under {@code key}, or its delete unless the backend never held it. */
  int stage(RocksDbStateBackend backend, byte[] key, Coder<T> coder) {
    int change;
    if (present) {
      byte[] bytes = Codec.encode(coder, value);
      backend.putUnread(key, bytes);
      change = resize(bytes.length);
    } else {
      if (!Boolean.FALSE.equals(stored)) {
        backend.deleteUnread(key); // a value set up and cleared between flushes never goes there
      }
      change = resize(0);
    }
    stored = present;
    return change;
  }

  /** Describes what {@link #stage} would stage, changing nothing. */
  void describe(HeldChanges out, byte[] key, Coder<T> coder) {
    if (present) {
      out.put(key, Codec.encode(coder, value));
    } else if (!Boolean.FALSE.equals(stored)) {
      out.delete(key);
    }
  }

  /** Forgets the value and what is known of it. */
  int forget() {
    present = false;
    value = null;
    stored = null;
    return resize(0);
  }

  private int resize(int newSize) {
    int change = newSize - size;
    size = newSize;
    return change;
  }
}
