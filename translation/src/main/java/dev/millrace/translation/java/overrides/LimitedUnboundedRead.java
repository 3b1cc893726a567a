package dev.millrace.translation.java.overrides;

import dev.millrace.translation.operators.source.UnboundedReadOperator;
import java.lang.reflect.Field;
import org.apache.beam.sdk.io.BoundedReadFromUnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.joda.time.Duration;

/**
 * The source and limits of a Beam {@code BoundedReadFromUnboundedSource}. Beam gives that transform
 * no getters, so its three fields are read reflectively.
 */
public final class LimitedUnboundedRead {
  public final UnboundedSource<?, ?> source;
  public final UnboundedReadOperator.Limits limits;

  private LimitedUnboundedRead(UnboundedSource<?, ?> source, UnboundedReadOperator.Limits limits) {
    this.source = source;
    this.limits = limits;
  }

  /**
   * What {@code read} (a BoundedReadFromUnboundedSource) reads, or null when its fields cannot be
   * read.
   */
  public static LimitedUnboundedRead of(Object read) {
    try {
      Class<?> type = BoundedReadFromUnboundedSource.class;
      Field source = type.getDeclaredField("source");
      Field maxNumRecords = type.getDeclaredField("maxNumRecords");
      Field maxReadTime = type.getDeclaredField("maxReadTime");
      source.setAccessible(true);
      maxNumRecords.setAccessible(true);
      maxReadTime.setAccessible(true);
      return new LimitedUnboundedRead(
          (UnboundedSource<?, ?>) source.get(read),
          new UnboundedReadOperator.Limits(
              maxNumRecords.getLong(read), (Duration) maxReadTime.get(read)));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
