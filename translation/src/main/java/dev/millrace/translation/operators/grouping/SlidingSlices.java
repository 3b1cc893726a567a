package dev.millrace.translation.operators.grouping;

import java.io.Serializable;
import java.util.Collection;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * The slices of sliding windows whose size is a multiple of their period: the periods where size ÷
 * period consecutive windows overlap. An input in exactly the windows of one slice can be combined
 * once into that slice instead of once into each window.
 */
public final class SlidingSlices implements Serializable {
  /** What {@link #sliceOf} gives for windows that are not one slice's. */
  public static final long NO_SLICE = Long.MIN_VALUE;

  private final long size;
  private final long period;
  private final long offset;

  private SlidingSlices(long size, long period, long offset) {
    this.size = size;
    this.period = period;
    this.offset = offset;
  }

  /** The slices of {@code windowing}'s windows, or null when they are not such sliding windows. */
  public static SlidingSlices of(WindowingStrategy<?, ?> windowing) {
    if (!(windowing.getWindowFn() instanceof SlidingWindows sliding)) {
      return null;
    }
    long size = sliding.getSize().getMillis();
    long period = sliding.getPeriod().getMillis();
    if (size <= period || size % period != 0 || size / period > Long.SIZE) {
      return null;
    }
    return new SlidingSlices(size, period, sliding.getOffset().getMillis());
  }

  public long size() {
    return size;
  }

  public long period() {
    return period;
  }

  /** The slice starting at {@code start}, as a window (no input is ever in it). */
  public IntervalWindow slice(long start) {
    return new IntervalWindow(new Instant(start), new Instant(start + period));
  }

  /**
   * The start of the slice where {@code windows} all overlap, when they are exactly the sliding
   * windows of one slice; {@link #NO_SLICE} otherwise (windows set by an earlier step).
   */
  public long sliceOf(Collection<? extends BoundedWindow> windows) {
    int count = (int) (size / period);
    if (windows.size() != count) {
      return NO_SLICE;
    }
    long minStart = Long.MAX_VALUE;
    long maxStart = Long.MIN_VALUE;
    for (BoundedWindow window : windows) {
      if (!(window instanceof IntervalWindow interval)
          || interval.end().getMillis() - interval.start().getMillis() != size) {
        return NO_SLICE;
      }
      minStart = Math.min(minStart, interval.start().getMillis());
      maxStart = Math.max(maxStart, interval.start().getMillis());
    }
    if (maxStart - minStart != size - period || Math.floorMod(maxStart - offset, period) != 0) {
      return NO_SLICE;
    }
    long seen = 0;
    for (BoundedWindow window : windows) {
      long gap = ((IntervalWindow) window).start().getMillis() - minStart;
      if (gap % period != 0) {
        return NO_SLICE;
      }
      seen |= 1L << (gap / period);
    }
    return Long.bitCount(seen) == count ? maxStart : NO_SLICE;
  }
}
