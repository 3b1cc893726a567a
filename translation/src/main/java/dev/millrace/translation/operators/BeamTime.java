package dev.millrace.translation.operators;

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
    long millis = instant.getMillis();
    if (millis <= BEAM_MIN) {
      return Watermarks.MIN;
    }
    if (millis >= BEAM_MAX) {
      return Watermarks.END;
    }
    return millis;
  }
}
