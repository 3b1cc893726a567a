package dev.millrace.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
  private static final class Entry<K, V> {
    final K key;
    boolean present;
    @Nullable V value;
    boolean changed;

    /** Whether the backend holds the entry; null when not known. */
    @Nullable Boolean stored;

    /** The encoded size last seen, as the cache counts it. */
    int size;

    /** Puts since the entry was made: its size is measured at the 1st, 2nd, 4th, 8th... */
    int writes;

    Entry(K key) {
      this.key = key;
    }
  }

  private final CellCache cache;
  private final byte[] prefix;
  private final Coder<K> keyCoder;
  private final Coder<V> valueCoder;
  private final Map<Object, Entry<K, V>> entries = new HashMap<>();
  private final List<Entry<K, V>> changed = new ArrayList<>();

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
      entry = added(id, key);
      byte[] bytes = backend.getForCell(storedKey(key));
      entry.present = bytes != null;
      entry.stored = entry.present;
      entry.value = entry.present ? Codec.decode(valueCoder, bytes) : null;
      resize(entry, entry.present ? bytes.length : 0);
    }
    return entry.value;
  }

  void put(K key, V value) {
    Entry<K, V> entry = entry(key);
    if (value == null) {
      Codec.encode(valueCoder, value); // fails now for a coder that does not take null
    }
    entry.value = value;
    entry.present = true;
    if (CellCache.measuresWrite(++entry.writes)) {
      resize(entry, Codec.encode(valueCoder, value).length);
    }
    changed(entry);
  }

  void remove(K key) {
    Entry<K, V> entry = entry(key);
    entry.value = null;
    entry.present = false;
    changed(entry);
  }

  /** The entry of {@code key} about to be overwritten: no need to read it. */
  private Entry<K, V> entry(K key) {
    Object id = keyCoder.structuralValue(key);
    Entry<K, V> entry = entries.get(id);
    return entry != null ? entry : added(id, key);
  }

  private Entry<K, V> added(Object id, K key) {
    Entry<K, V> entry = new Entry<>(key);
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

  private void resize(Entry<K, V> entry, int size) {
    cache.grew(0, size - entry.size);
    entry.size = size;
  }

  private byte[] storedKey(K key) {
    return StateKeys.withSubKey(prefix, Codec.encode(keyCoder, key));
  }

  @Override
  void writeTo(RocksDbStateBackend backend) {
    for (Entry<K, V> entry : changed) {
      entry.changed = false;
      if (entry.present) {
        byte[] bytes = Codec.encode(valueCoder, entry.value);
        backend.putUnread(storedKey(entry.key), bytes);
        resize(entry, bytes.length);
        entry.stored = true;
      } else {
        if (!Boolean.FALSE.equals(entry.stored)) {
          // An entry put and removed between flushes never goes there.
          backend.deleteUnread(storedKey(entry.key));
        }
        entries.remove(keyCoder.structuralValue(entry.key));
        resize(entry, 0);
        cache.grew(-1, -CellCache.ENTRY_OVERHEAD);
      }
    }
    changed.clear();
  }

  @Override
  void forget(CellCache cache) {
    for (Entry<K, V> entry : entries.values()) {
      resize(entry, 0);
    }
    cache.grew(-entries.size(), -(long) CellCache.ENTRY_OVERHEAD * entries.size());
    entries.clear();
    changed.clear();
  }
}
