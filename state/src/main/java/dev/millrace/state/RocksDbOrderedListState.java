package dev.millrace.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * Each element under its own key, sub-key = sortable timestamp + 8-byte sequence, so RocksDB's key
 * order is timestamp order (ties in insertion order) and a timestamp range is a key range.
 */
final class RocksDbOrderedListState<T> extends RocksDbState implements OrderedListState<T> {
  private static final int TIMESTAMP_OFFSET_FROM_END = 16;

  private final Coder<T> elemCoder;

  RocksDbOrderedListState(RocksDbStateBackend backend, byte[] prefix, Coder<T> elemCoder) {
    super(backend, prefix);
    this.elemCoder = elemCoder;
  }

  private byte[] timestampBound(Instant instant) {
    return StateKeys.withSubKey(prefix, StateKeys.sortableMillis(instant.getMillis()));
  }

  @Override
  public void add(TimestampedValue<T> value) {
    backend.append(timestampBound(value.getTimestamp()), Codec.encode(elemCoder, value.getValue()));
  }

  @Override
  public Iterable<TimestampedValue<T>> read() {
    return decode(backend.scanPrefix(prefix));
  }

  @Override
  public Iterable<TimestampedValue<T>> readRange(Instant minTimestamp, Instant limitTimestamp) {
    return decode(backend.scan(timestampBound(minTimestamp), timestampBound(limitTimestamp)));
  }

  @Override
  public void clearRange(Instant minTimestamp, Instant limitTimestamp) {
    backend.deleteRange(timestampBound(minTimestamp), timestampBound(limitTimestamp));
  }

  @Override
  public OrderedListState<T> readRangeLater(Instant minTimestamp, Instant limitTimestamp) {
    return this;
  }

  @Override
  public OrderedListState<T> readLater() {
    return this;
  }

  private Iterable<TimestampedValue<T>> decode(List<RocksDbStateBackend.Entry> entries) {
    List<TimestampedValue<T>> values = new ArrayList<>(entries.size());
    for (RocksDbStateBackend.Entry e : entries) {
      long millis = StateKeys.sortableMillisAt(e.key(), e.key().length - TIMESTAMP_OFFSET_FROM_END);
      values.add(
          TimestampedValue.of(Codec.decode(elemCoder, e.value()), Instant.ofEpochMilli(millis)));
    }
    return Collections.unmodifiableList(values);
  }
}
