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
  private final HeldValue<T> held = new HeldValue<>();
  private boolean loaded;
  private boolean changed;

  CachedValue(CellCache cache, byte[] key, Coder<T> coder) {
    this.cache = cache;
    this.key = key;
    this.coder = coder;
  }

  /** Whether a value is stored (a stored null included). */
  boolean isPresent(RocksDbStateBackend backend) {
    load(backend);
    return held.present;
  }

  /** The stored value; null when there is none. */
  @Nullable T read(RocksDbStateBackend backend) {
    load(backend);
    return held.value;
  }

  void write(@Nullable T newValue) {
    cache.grew(0, held.set(newValue, coder));
    loaded = true;
    changed();
  }

  void clear() {
    held.clear();
    loaded = true;
    changed();
  }

  private void changed() {
    changed = true;
    cache.changed(this);
  }

  private void load(RocksDbStateBackend backend) {
    if (!loaded) {
      cache.grew(0, held.load(backend.getUncached(key), coder));
      loaded = true;
    }
  }

  @Override
  void writeTo(RocksDbStateBackend backend) {
    if (changed) {
      changed = false;
      cache.grew(0, held.stage(backend, key, coder));
    }
  }

  @Override
  void describeTo(HeldChanges out) {
    if (changed) {
      held.describe(out, key, coder);
    }
  }

  @Override
  void forget(CellCache cache) {
    loaded = false;
    changed = false;
    cache.grew(0, held.forget());
  }
}
