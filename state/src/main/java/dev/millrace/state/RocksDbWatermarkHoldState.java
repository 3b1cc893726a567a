package dev.millrace.state;

import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/** The combined hold as one Instant under the cell's prefix; absent means no hold. */
final class RocksDbWatermarkHoldState extends RocksDbState implements WatermarkHoldState {
  private static final InstantCoder INSTANT_CODER = InstantCoder.of();

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
    backend.put(prefix, Codec.encode(INSTANT_CODER, combined));
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
    backend.delete(prefix);
  }
}
