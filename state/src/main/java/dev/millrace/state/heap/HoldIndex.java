package dev.millrace.state.heap;

import java.util.TreeMap;
import org.joda.time.Instant;

/**
 * The watermark holds of one operator kept on the heap, from every key: state holds (GroupByKey's
 * pending panes) and the output timestamps of pending timers. A multiset of times, so the earliest
 * hold, which keeps the operator's output watermark back, is one lookup.
 */
final class HoldIndex {
  private final TreeMap<Long, int[]> counts = new TreeMap<>();

  void add(Instant hold) {
    counts.computeIfAbsent(hold.getMillis(), t -> new int[1])[0]++;
  }

  void remove(Instant hold) {
    long t = hold.getMillis();
    int[] count = counts.get(t);
    if (count == null) {
      throw new IllegalStateException("no hold at " + hold + " to release");
    }
    if (--count[0] == 0) {
      counts.remove(t);
    }
  }

  /** The earliest hold, or null. */
  Instant minimum() {
    return counts.isEmpty() ? null : new Instant(counts.firstKey());
  }

  boolean isEmpty() {
    return counts.isEmpty();
  }
}
