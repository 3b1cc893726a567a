package dev.millrace.state;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The entries of a map cell read or written so far, decoded in a {@link CellCache}, each stored
 * under the cell's prefix and its encoded map key. Entries are found by the map key's structural
 * value, so keys equal by their encoding are one entry, as they are in the store. A key found
 * absent is kept as such (probing for the next of a sparse run asks again); a removed entry is
 * forgotten once its delete is staged.
 */
final class CachedMap<K, V> extends CellCache.CachedCell {
  private static final class Entry<K, V> extends HeldValue<V> {
    final K key;

    /** The map key's structural value: what the entry is found by. */
    final Object id;

    boolean changed;

    Entry(K key, Object id) {
      this.key = key;
      this.id = id;
    }
  }

  private final CellCache cache;
  private final byte[] prefix;
  private final Coder<K> keyCoder;
  private final Coder<V> valueCoder;
  private final Map<Object, Entry<K, V>> entries = new HashMap<>();
  // Insertion-ordered, and an entry leaves it at once when it goes (identity: entries do not
  // define equals).
  private final Set<Entry<K, V>> changed = new LinkedHashSet<>();

  CachedMap(CellCache cache, byte[] prefix, Coder<K> keyCoder, Coder<V> valueCoder) {
    this.cache = cache;
    this.prefix = prefix;
    this.keyCoder = keyCoder;
    this.valueCoder = valueCoder;
  }

  /** The value stored under {@code key}, or null. */
  @Nullable V get(RocksDbStateBackend backend, K key) {
    Object id = keyCoder.structuralValue(key);
    Entry<K, V> entry = entries.get(id);
    if (entry == null) {
      byte[] stored = storedKey(key);
      if (!backend.mayHaveWritten(stored)) {
        return null; // asking again costs no more than keeping the answer would
      }
      entry = added(id, key);
      cache.grew(0, entry.load(backend.getUncached(stored), valueCoder));
    }
    return entry.value;
  }

  void put(RocksDbStateBackend backend, K key, V value) {
    Entry<K, V> entry = entry(backend, key);
    cache.grew(0, entry.set(value, valueCoder));
    changed(entry);
  }

  void remove(RocksDbStateBackend backend, K key) {
    Entry<K, V> entry = entry(backend, key);
    if (Boolean.FALSE.equals(entry.stored)) {
      // Never stored: nothing to delete, so the entry goes now, not at the next flush (a job
      // without checkpoints may flush rarely, and a map whose keys come and go would keep them
      // all).
      entries.remove(entry.id);
      changed.remove(entry);
      entry.changed = false;
      cache.grew(-1, entry.forget() - CellCache.ENTRY_OVERHEAD);
      return;
    }
    entry.clear();
    changed(entry);
  }

  /** The entry of {@code key} about to be overwritten: no need to read it. */
  private Entry<K, V> entry(RocksDbStateBackend backend, K key) {
    Object id = keyCoder.structuralValue(key);
    Entry<K, V> entry = entries.get(id);
    if (entry == null) {
      entry = added(id, key);
      if (!backend.mayHaveWritten(storedKey(key))) {
        entry.stored = false;
      }
    }
    return entry;
  }

  private Entry<K, V> added(Object id, K key) {
    Entry<K, V> entry = new Entry<>(key, id);
    entries.put(id, entry);
    cache.grew(1, CellCache.ENTRY_OVERHEAD);
    return entry;
  }

  private void changed(Entry<K, V> entry) {
    if (!entry.changed) {
      entry.changed = true;
      changed.add(entry);
    }
    cache.changed(this);
  }

  private byte[] storedKey(K key) {
    return StateKeys.withSubKey(prefix, Codec.encode(keyCoder, key));
  }

  @Override
  void writeTo(RocksDbStateBackend backend) {
    for (Entry<K, V> entry : changed) {
      entry.changed = false;
      cache.grew(0, entry.stage(backend, storedKey(entry.key), valueCoder));
      if (!entry.present) {
        // Removed: the backend answers for it now (its delete is staged, or it never held it).
        entries.remove(entry.id);
        cache.grew(-1, -CellCache.ENTRY_OVERHEAD);
      }
    }
    changed.clear();
  }

  @Override
  void describeTo(HeldChanges out) {
    for (Entry<K, V> entry : changed) {
      entry.describe(out, storedKey(entry.key), valueCoder);
    }
  }

  @Override
  void forget(CellCache cache) {
    for (Entry<K, V> entry : entries.values()) {
      cache.grew(-1, entry.forget() - CellCache.ENTRY_OVERHEAD);
    }
    entries.clear();
    changed.clear();
  }
}
