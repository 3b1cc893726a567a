package dev.millrace.state;

import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The combined hold as one Instant under the cell's prefix; absent means no hold. Every hold is
 * also indexed by time under {@code [0x95][time][cell prefix]}, above every key group, so the
 * minimum over all keys of a backend is one seek ({@link #minimum}).
 */
final class RocksDbWatermarkHoldState extends RocksDbState implements WatermarkHoldState {
  private static final InstantCoder INSTANT_CODER = InstantCoder.of();
  private static final byte HOLD_INDEX = (byte) 0x95;

  private final TimestampCombiner timestampCombiner;

  RocksDbWatermarkHoldState(
      RocksDbStateBackend backend, byte[] prefix, TimestampCombiner timestampCombiner) {
    super(backend, prefix);
    this.timestampCombiner = timestampCombiner;
  }

  @Override
  public void add(Instant outputTime) {
    Instant current = read();
    Instant combined =
        current == null ? outputTime : timestampCombiner.combine(current, outputTime);
    if (combined.equals(current)) {
      return;
    }
    if (current != null) {
      backend.deleteUnread(indexKey(current));
    }
    backend.put(prefix, Codec.encode(INSTANT_CODER, combined));
    backend.putUnread(indexKey(combined), new byte[0]); // found by seeks only
  }

  private byte[] indexKey(Instant hold) {
    return StateKeys.withSubKey(
        new byte[] {HOLD_INDEX}, StateKeys.sortableMillis(hold.getMillis()), prefix);
  }

  /** A time no hold in {@code backend} is earlier than (usually without a seek), or null. */
  static @Nullable Instant minimumLowerBound(RocksDbStateBackend backend) {
    byte[] floor = backend.indexFloor(HOLD_INDEX);
    if (floor == null || (floor[0] == HOLD_INDEX && floor.length < 9)) {
      return minimum(backend);
    }
    return floor[0] != HOLD_INDEX ? null : new Instant(StateKeys.sortableMillisAt(floor, 1));
  }

  /** The earliest hold of any key in {@code backend}, or null if there is none. */
  static @Nullable Instant minimum(RocksDbStateBackend backend) {
    byte[] first =
        backend.firstKeyOfIndex(new byte[] {HOLD_INDEX}, new byte[] {(byte) (HOLD_INDEX + 1)});
    return first == null ? null : new Instant(StateKeys.sortableMillisAt(first, 1));
  }

  @Override
  public @Nullable Instant read() {
    byte[] bytes = backend.get(prefix);
    return bytes == null ? null : Codec.decode(INSTANT_CODER, bytes);
  }

  @Override
  public TimestampCombiner getTimestampCombiner() {
    return timestampCombiner;
  }

  @Override
  public WatermarkHoldState readLater() {
    return this;
  }

  @Override
  public void clear() {
    Instant current = read();
    if (current != null) {
      backend.delete(prefix);
      backend.deleteUnread(indexKey(current));
    }
  }
}
