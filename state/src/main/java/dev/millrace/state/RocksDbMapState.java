package dev.millrace.state;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.ReadableStates;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Each entry under its own key, sub-key = encoded map key, so get/put touch one entry only; entries
 * read or written are decoded in the backend's {@link CellCache}.
 */
final class RocksDbMapState<K, V> extends RocksDbState implements MapState<K, V> {
  private final Coder<K> mapKeyCoder;
  private final Coder<V> valueCoder;
  private final CellHandle<CachedMap<K, V>> cell;

  RocksDbMapState(
      RocksDbStateBackend backend, byte[] prefix, Coder<K> mapKeyCoder, Coder<V> valueCoder) {
    super(backend, prefix);
    this.mapKeyCoder = mapKeyCoder;
    this.valueCoder = valueCoder;
    this.cell =
        new CellHandle<>(
            backend, prefix, (cells, key) -> new CachedMap<>(cells, key, mapKeyCoder, valueCoder));
  }

  @Override
  public void put(K key, V value) {
    cell.get().put(backend, key, value);
  }

  /** Returns the previous value (null if there was none), evaluated now because it writes. */
  @Override
  public ReadableState<V> computeIfAbsent(K key, Function<? super K, ? extends V> mappingFunction) {
    V previous = cell.get().get(backend, key);
    if (previous == null) {
      V value = mappingFunction.apply(key);
      // Found again after the user's function, which may touch other state and so make the
      // cache drop every cell: a cell held from before would take the put and lose it.
      cell.get().put(backend, key, value);
    }
    return ReadableStates.immediate(previous);
  }

  @Override
  public void remove(K key) {
    cell.get().remove(backend, key);
  }

  @Override
  public ReadableState<V> get(K key) {
    return getOrDefault(key, null);
  }

  @Override
  public ReadableState<V> getOrDefault(K key, @Nullable V defaultValue) {
    return LazyState.of(
        () -> {
          V value = cell.get().get(backend, key);
          return value == null ? defaultValue : value;
        });
  }

  @Override
  public ReadableState<Iterable<K>> keys() {
    return LazyState.of(
        () -> {
          List<K> keys = new ArrayList<>();
          for (Map.Entry<K, V> e : readEntries()) {
            keys.add(e.getKey());
          }
          return Collections.unmodifiableList(keys);
        });
  }

  @Override
  public ReadableState<Iterable<V>> values() {
    return LazyState.of(
        () -> {
          List<V> values = new ArrayList<>();
          for (RocksDbStateBackend.Entry e : backend.scanPrefix(prefix)) {
            values.add(Codec.decode(valueCoder, e.value()));
          }
          return Collections.unmodifiableList(values);
        });
  }

  @Override
  public ReadableState<Iterable<Map.Entry<K, V>>> entries() {
    return LazyState.of(this::readEntries);
  }

  private Iterable<Map.Entry<K, V>> readEntries() {
    List<Map.Entry<K, V>> entries = new ArrayList<>();
    for (RocksDbStateBackend.Entry e : backend.scanPrefix(prefix)) {
      entries.add(
          new SimpleImmutableEntry<>(
              Codec.decode(mapKeyCoder, e.key(), prefix.length, e.key().length),
              Codec.decode(valueCoder, e.value())));
    }
    return Collections.unmodifiableList(entries);
  }
}
