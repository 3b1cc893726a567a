package dev.millrace.state;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.ReadableState;

/**
 * Each value under its own key, sub-key = length-prefixed encoded map key + 8-byte sequence. The
 * length prefix makes all values of one map key a contiguous prefix range; the sequence keeps them
 * in insertion order and allows duplicates.
 */
final class RocksDbMultimapState<K, V> extends RocksDbState implements MultimapState<K, V> {
  private final Coder<K> mapKeyCoder;
  private final Coder<V> valueCoder;

  RocksDbMultimapState(
      RocksDbStateBackend backend, byte[] prefix, Coder<K> mapKeyCoder, Coder<V> valueCoder) {
    super(backend, prefix);
    this.mapKeyCoder = mapKeyCoder;
    this.valueCoder = valueCoder;
  }

  private byte[] groupOf(K mapKey) {
    return StateKeys.withSubKey(
        prefix, StateKeys.lengthPrefixed(Codec.encode(mapKeyCoder, mapKey)));
  }

  @Override
  public void put(K key, V value) {
    backend.append(groupOf(key), Codec.encode(valueCoder, value));
  }

  @Override
  public ReadableState<Iterable<V>> get(K key) {
    return LazyState.of(
        () -> {
          List<V> values = new ArrayList<>();
          for (RocksDbStateBackend.Entry e : backend.scanPrefix(groupOf(key))) {
            values.add(Codec.decode(valueCoder, e.value()));
          }
          return Collections.unmodifiableList(values);
        });
  }

  @Override
  public void remove(K key) {
    backend.deletePrefix(groupOf(key));
  }

  @Override
  public ReadableState<Iterable<K>> keys() {
    return LazyState.of(
        () -> {
          List<K> keys = new ArrayList<>();
          int[] previous = null;
          byte[] previousKey = null;
          for (RocksDbStateBackend.Entry e : backend.scanPrefix(prefix)) {
            int[] span = StateKeys.lengthPrefixedAt(e.key(), prefix.length);
            // Values of one map key are adjacent, so comparing with the previous entry dedupes.
            if (previous == null
                || !Arrays.equals(
                    e.key(), span[0], span[1], previousKey, previous[0], previous[1])) {
              keys.add(Codec.decode(mapKeyCoder, e.key(), span[0], span[1]));
            }
            previous = span;
            previousKey = e.key();
          }
          return Collections.unmodifiableList(keys);
        });
  }

  @Override
  public ReadableState<Iterable<Map.Entry<K, V>>> entries() {
    return LazyState.of(
        () -> {
          List<Map.Entry<K, V>> entries = new ArrayList<>();
          for (RocksDbStateBackend.Entry e : backend.scanPrefix(prefix)) {
            int[] span = StateKeys.lengthPrefixedAt(e.key(), prefix.length);
            entries.add(
                new SimpleImmutableEntry<>(
                    Codec.decode(mapKeyCoder, e.key(), span[0], span[1]),
                    Codec.decode(valueCoder, e.value())));
          }
          return Collections.unmodifiableList(entries);
        });
  }

  @Override
  public ReadableState<Boolean> containsKey(K key) {
    return LazyState.of(() -> backend.hasKeyWithPrefix(groupOf(key)));
  }
}
