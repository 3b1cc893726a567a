package dev.millrace.translation.operators.grouping.onepane;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.joda.time.Instant;

/**
 * The open sessions of one key, sorted by start and pairwise disjoint, each with the address its
 * state lives under (the start of the first window it held, so its accumulator stays in place while
 * the session grows; addresses lie inside disjoint sessions, so they differ). Finding the sessions
 * a new window overlaps is a binary search, and the whole index is a few numbers per session, where
 * runners-core's merging window set decodes and re-encodes a map of window sets for every element.
 *
 * <p>Windows are half-open [start, end): two sessions that only touch do not merge, as in {@link
 * IntervalWindow#intersects}.
 */
final class SessionIndex {
  static final Coder CODER = new Coder();

  private long[] starts;
  private long[] ends;
  private long[] addresses;
  private int size;

  SessionIndex() {
    this(4);
  }

  private SessionIndex(int capacity) {
    starts = new long[capacity];
    ends = new long[capacity];
    addresses = new long[capacity];
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  IntervalWindow window(int i) {
    return new IntervalWindow(new Instant(starts[i]), new Instant(ends[i]));
  }

  long start(int i) {
    return starts[i];
  }

  long end(int i) {
    return ends[i];
  }

  /** Where session {@code i}'s state lives. */
  long address(int i) {
    return addresses[i];
  }

  /** The first session that overlaps [start, end), or where one would go. */
  int firstOverlapping(long start) {
    // Disjoint and sorted by start, so the ends are sorted too: the first whose end is after start.
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ends[mid] > start) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** One past the last session that overlaps [start, end), from {@code first} on. */
  int endOfOverlapping(int first, long end) {
    int i = first;
    while (i < size && starts[i] < end) {
      i++;
    }
    return i;
  }

  /**
   * Replaces the sessions [from, to) (none when equal) by one session [start, end) whose state
   * lives at the given address.
   */
  void replace(int from, int to, long start, long end, long address) {
    int removed = to - from;
    if (removed == 0) {
      ensureCapacity(size + 1);
      shift(from, from + 1, size - from);
      size++;
    } else if (removed > 1) {
      shift(to, from + 1, size - to);
      size -= removed - 1;
    }
    starts[from] = start;
    ends[from] = end;
    addresses[from] = address;
  }

  void remove(int i) {
    shift(i + 1, i, size - i - 1);
    size--;
  }

  private void shift(int from, int to, int count) {
    System.arraycopy(starts, from, starts, to, count);
    System.arraycopy(ends, from, ends, to, count);
    System.arraycopy(addresses, from, addresses, to, count);
  }

  private void ensureCapacity(int capacity) {
    if (capacity > starts.length) {
      int grown = Math.max(capacity, starts.length * 2);
      starts = Arrays.copyOf(starts, grown);
      ends = Arrays.copyOf(ends, grown);
      addresses = Arrays.copyOf(addresses, grown);
    }
  }

  /** Each session as its start and two differences, small numbers as variable-length longs. */
  static final class Coder extends AtomicCoder<SessionIndex> {
    private static final VarIntCoder COUNT = VarIntCoder.of();
    private static final VarLongCoder NUMBER = VarLongCoder.of();

    private Coder() {}

    @Override
    public void encode(SessionIndex index, OutputStream out) throws IOException {
      COUNT.encode(index.size, out);
      for (int i = 0; i < index.size; i++) {
        NUMBER.encode(index.starts[i], out);
        NUMBER.encode(index.ends[i] - index.starts[i], out);
        NUMBER.encode(index.addresses[i] - index.starts[i], out);
      }
    }

    @Override
    public SessionIndex decode(InputStream in) throws IOException {
      int size = COUNT.decode(in);
      SessionIndex index = new SessionIndex(Math.max(size, 4));
      for (int i = 0; i < size; i++) {
        long start = NUMBER.decode(in);
        index.starts[i] = start;
        index.ends[i] = start + NUMBER.decode(in);
        index.addresses[i] = start + NUMBER.decode(in);
      }
      index.size = size;
      return index;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
