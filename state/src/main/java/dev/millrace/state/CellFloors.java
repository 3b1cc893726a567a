package dev.millrace.state;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Per state cell (a bag, set, map or ordered list under one {@link StateKeys#statePrefix}): a key
 * no live entry of the cell lies below. A cell cleared again and again (a bag under a trigger that
 * fires on every element) leaves its deleted entries as tombstones in the write batch and the
 * memtable until a compaction, and every seek from the cell's start would step over all of them
 * again: quadratic in the panes of one key and window. Seeking from the floor skips them.
 *
 * <p>The invariant "no live key in {@code [cell prefix, floor)}" is kept by lowering the floor on
 * every write below it ({@link #written}); a discarded batch brings deleted entries back, so the
 * owner {@link #clear}s every floor then. Floors are only a shortcut: dropping them is always safe.
 */
final class CellFloors {

  /** Past this many cells every floor is dropped, so the map cannot grow with the key space. */
  private static final int MAX_CELLS = 1 << 15;

  private final Map<ByteKey, byte[]> floors = new HashMap<>();

  /**
   * Whether {@code prefix} is a whole state cell's prefix, the only prefixes floors are kept for.
   */
  static boolean isCell(byte[] prefix) {
    return StateKeys.cellPrefixLength(prefix) == prefix.length;
  }

  /** Where a seek for the first live entry of {@code cell} may start. */
  byte[] seekFrom(byte[] cell) {
    byte[] floor = floors.get(new ByteKey(cell));
    return floor != null ? floor : cell;
  }

  /** Whether {@code cell} is known to hold nothing, so no seek is needed at all. */
  boolean knownEmpty(byte[] cell, byte[] cellEnd) {
    byte[] floor = floors.get(new ByteKey(cell));
    return floor != null && Arrays.compareUnsigned(floor, cellEnd) >= 0;
  }

  /** A seek from {@link #seekFrom} found {@code first} (null: nothing before {@code cellEnd}). */
  void found(byte[] cell, byte @Nullable [] first, byte[] cellEnd) {
    if (floors.size() >= MAX_CELLS) {
      floors.clear();
    }
    floors.put(new ByteKey(cell), first != null ? first : cellEnd);
  }

  /** Lowers the floor of {@code key}'s cell if {@code key} lies below it. */
  void written(byte[] key) {
    if (floors.isEmpty()) {
      return;
    }
    int length = StateKeys.cellPrefixLength(key);
    if (length < 0) {
      return;
    }
    ByteKey cell = new ByteKey(Arrays.copyOf(key, length));
    byte[] floor = floors.get(cell);
    if (floor != null && Arrays.compareUnsigned(key, floor) < 0) {
      floors.put(cell, key);
    }
  }

  void clear() {
    floors.clear();
  }
}
