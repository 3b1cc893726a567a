package dev.millrace.state.keyed;

import dev.millrace.plan.Watermarks;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/** Maps engine watermarks to Beam instants and back. */
public final class BeamTime {
  private static final long BEAM_MIN = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();
  private static final long BEAM_MAX = BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis();

  private BeamTime() {}

  public static Instant toInstant(long watermark) {
    if (watermark <= BEAM_MIN) {
      return BoundedWindow.TIMESTAMP_MIN_VALUE;
    }
    if (watermark >= BEAM_MAX) {
      return BoundedWindow.TIMESTAMP_MAX_VALUE;
    }
    return new Instant(watermark);
  }

  public static long toWatermark(Instant instant) {
    return toWatermark(instant.getMillis());
  }

  /** A protobuf timestamp (as the Fn API reports watermarks) as an engine watermark. */
  public static long fromProto(
      org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.Timestamp timestamp) {
    long millis;
    try {
      millis =
          Math.addExact(
              Math.multiplyExact(timestamp.getSeconds(), 1000L), timestamp.getNanos() / 1_000_000);
    } catch (ArithmeticException overflow) {
      return timestamp.getSeconds() < 0 ? Watermarks.MIN : Watermarks.END;
    }
    return toWatermark(millis);
  }

  private static long toWatermark(long millis) {
    if (millis <= BEAM_MIN) {
      return Watermarks.MIN;
    }
    if (millis >= BEAM_MAX) {
      return Watermarks.END;
    }
    return millis;
  }
}
