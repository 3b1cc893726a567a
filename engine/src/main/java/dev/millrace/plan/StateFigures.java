package dev.millrace.plan;

/**
 * How much keyed state an operator holds now, as its backend can tell cheaply; -1 where it cannot.
 *
 * @param keys keys with state or timers (the heap backend counts them; RocksDB does not)
 * @param entries stored entries: cells, bag elements, map entries, timers and their indexes
 *     (RocksDB's own estimate plus what its cache holds back; the heap backend does not count them)
 * @param bytes bytes of state (RocksDB: live data, memtables and the cells' cache; the heap backend
 *     does not measure them)
 * @param timers timers set and not yet fired (the heap backend counts them; RocksDB does not)
 */
public record StateFigures(long keys, long entries, long bytes, long timers) {
  public static final StateFigures NONE = new StateFigures(0, 0, 0, 0);

  /** The two added, an unknown (-1) on either side staying unknown. */
  public StateFigures plus(StateFigures other) {
    return new StateFigures(
        add(keys, other.keys),
        add(entries, other.entries),
        add(bytes, other.bytes),
        add(timers, other.timers));
  }

  private static long add(long a, long b) {
    return a < 0 || b < 0 ? -1 : a + b;
  }
}
