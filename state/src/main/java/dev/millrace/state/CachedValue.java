package dev.millrace.state;

import org.apache.beam.sdk.coders.Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One stored value (a value cell, a combining cell's accumulator), decoded in a {@link CellCache}:
 * read from the backend once, then served from here; a write is staged at the next flush.
 */
final class CachedValue<T> extends CellCache.CachedCell {
  private final CellCache cache;
  private final byte[] key;
  private final Coder<T> coder;
  private boolean loaded;
  private boolean present;
  private @Nullable T value;
  private boolean changed;

  /** Whether the backend holds a value under the key; null when not known. */
  private @Nullable Boolean stored;

  /** The encoded size last seen, as the cache counts it. */
  private int size;

  /** Writes since the cell was made: its size is measured at the 1st, 2nd, 4th, 8th... */
  private int writes;

  CachedValue(CellCache cache, byte[] key, Coder<T> coder) {
    this.cache = cache;
    this.key = key;
    this.coder = coder;
  }

  /** Whether a value is stored (a stored null included). */
  boolean isPresent(RocksDbStateBackend backend) {
    load(backend);
    return present;
  }

  /** The stored value; null when there is none. */
  @Nullable T read(RocksDbStateBackend backend) {
    load(backend);
    return value;
  }

  void write(@Nullable T newValue) {
    if (newValue == null) {
      // Only a coder that takes null may store it: fail here, as an immediate write would.
      Codec.encode(coder, newValue);
    }
    value = newValue;
    present = true;
    loaded = true;
    if (CellCache.measuresWrite(++writes)) {
      resized(Codec.encode(coder, newValue).length);
    }
    changed();
  }

  void clear() {
    value = null;
    present = false;
    loaded = true;
    changed();
  }

  private void changed() {
    changed = true;
    cache.changed(this);
  }

  private void load(RocksDbStateBackend backend) {
    if (loaded) {
      return;
    }
    byte[] bytes = backend.getForCell(key);
    present = bytes != null;
    stored = present;
    value = present ? Codec.decode(coder, bytes) : null;
    loaded = true;
    resized(present ? bytes.length : 0);
  }

  private void resized(int newSize) {
    cache.grew(0, newSize - size);
    size = newSize;
  }

  @Override
  void writeTo(RocksDbStateBackend backend) {
    if (!changed) {
      return;
    }
    changed = false;
    if (present) {
      byte[] bytes = Codec.encode(coder, value);
      backend.putUnread(key, bytes);
      resized(bytes.length);
    } else if (!Boolean.FALSE.equals(stored)) {
      backend.deleteUnread(key); // a value set up and cleared between flushes never goes there
    }
    stored = present;
  }

  @Override
  void forget(CellCache cache) {
    loaded = false;
    present = false;
    value = null;
    changed = false;
    stored = null;
    resized(0);
  }
}
