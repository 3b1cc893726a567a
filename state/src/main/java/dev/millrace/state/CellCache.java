package dev.millrace.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Decoded values of a backend's value, combining and map cells, kept across bundles, with their
 * writes held back until {@link #flush}: a cell read, changed and written back for every element (a
 * counter, an accumulator, a map entry) is decoded once, encoded and staged once per bundle, as
 * Kafka Streams' record cache absorbs repeated updates. Without it each access built the cell's
 * key, hashed it, looked it up and decoded the value, and each write encoded it and staged it in
 * the indexed batch.
 *
 * <p>One {@link CachedCell} per stored cell: the cell handles of every key's state find theirs here
 * once and keep it while {@link #epoch} stays the same, so an access costs no lookup. Dropping
 * every cell (over the budget, or a discarded batch) moves the epoch on, and handles find their
 * cell again. The backend flushes before anything that reads its keys in ranges (scans, commits,
 * checkpoints), and a range delete forgets the cells it covers, so the batch and the database never
 * disagree with a cell that is not pending. Values are held as the user gave or read them, as the
 * heap backend holds them: a value changed in place after a write is what the flush encodes.
 */
final class CellCache {
  /** Over this many bytes (encoded sizes, plus a per-entry overhead) every cell is dropped. */
  static final long MAX_BYTES = 16L << 20;

  /** Over this many cells and map entries every cell is dropped. */
  static final int MAX_ENTRIES = 100_000;

  /** What an entry costs besides its encoded value: objects, map nodes, its key. */
  static final int ENTRY_OVERHEAD = 96;

  private final RocksDbStateBackend backend;
  private final Map<ByteKey, CachedCell> cells = new HashMap<>();
  private final List<CachedCell> pending = new ArrayList<>();
  private long epoch;
  private long bytes;
  private long entries;

  CellCache(RocksDbStateBackend backend) {
    this.backend = backend;
  }

  /**
   * Changes whenever cells are dropped: a handle holding a cell of an earlier epoch looks again.
   */
  long epoch() {
    return epoch;
  }

  /** The cell stored under {@code key}, made by {@code create} if there is none yet. */
  @SuppressWarnings("unchecked")
  <C extends CachedCell> C cell(byte[] key, Function<byte[], C> create) {
    if (overBudget()) {
      evict();
    }
    ByteKey id = new ByteKey(key);
    CachedCell cell = cells.get(id);
    if (cell == null) {
      cell = create.apply(key);
      cells.put(id, cell);
      grew(1, ENTRY_OVERHEAD + key.length);
    }
    return (C) cell;
  }

  /**
   * Whether the {@code n}th write of a cell should measure its encoded size: a value held back from
   * write to write must still count for what it takes (an accumulator that grows), at a cost
   * logarithmic in its writes.
   */
  static boolean measuresWrite(int n) {
    return (n & (n - 1)) == 0;
  }

  /** {@code cell} holds a change not yet staged in the backend. */
  void changed(CachedCell cell) {
    if (!cell.pending) {
      cell.pending = true;
      pending.add(cell);
    }
  }

  /** Accounts for entries and bytes a cell took (negative: gave back). */
  void grew(long entryDelta, long byteDelta) {
    entries += entryDelta;
    bytes += byteDelta;
  }

  /** Stages every held-back change in the backend. */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    // A cell's flush writes through the backend, which may flush again: take the list first.
    List<CachedCell> toWrite = new ArrayList<>(pending);
    pending.clear();
    for (CachedCell cell : toWrite) {
      cell.pending = false;
      cell.writeTo(backend);
    }
  }

  /** After a commit: stays within the budget, changes staged. */
  void trim() {
    if (overBudget()) {
      evict();
    }
  }

  private boolean overBudget() {
    return bytes > MAX_BYTES || entries > MAX_ENTRIES;
  }

  /** Stages what is held back, then drops every cell. */
  void evict() {
    flush();
    dropAll();
  }

  /** Drops every cell and every held-back change (the batch they would go to is gone). */
  void dropAll() {
    cells.clear();
    pending.clear();
    bytes = 0;
    entries = 0;
    epoch++;
  }

  /** The backend deletes every key in {@code [from, toExclusive)}: cells there hold nothing now. */
  void deleting(byte[] from, byte @Nullable [] toExclusive) {
    if (cells.isEmpty()) {
      return;
    }
    // Every delete of the state cells stays within one cell (a cell cleared, a multimap key, a
    // range of an ordered list).
    ByteKey cell = cellHolding(from, toExclusive);
    if (cell != null) {
      CachedCell cached = cells.get(cell);
      if (cached != null) {
        cached.forget(this);
      }
      return;
    }
    // Wider (a key's or a namespace's state): every cached cell in the range, or holding it.
    for (Map.Entry<ByteKey, CachedCell> entry : cells.entrySet()) {
      byte[] key = entry.getKey().bytes();
      boolean inRange =
          Arrays.compareUnsigned(key, from) >= 0
              && (toExclusive == null || Arrays.compareUnsigned(key, toExclusive) < 0);
      if (inRange || StateKeys.hasPrefix(from, key)) {
        entry.getValue().forget(this);
      }
    }
  }

  /**
   * Stages the held-back changes a read of {@code [from, toExclusive)} could see: those of the one
   * cell the range lies in, or all of them.
   */
  void flushRange(byte[] from, byte @Nullable [] toExclusive) {
    if (pending.isEmpty()) {
      return;
    }
    ByteKey cell = cellHolding(from, toExclusive);
    if (cell == null) {
      flush();
      return;
    }
    CachedCell cached = cells.get(cell);
    if (cached != null && cached.pending) {
      // It stays in the pending list with nothing pending: a later change finds it there.
      cached.writeTo(backend);
    }
  }

  /**
   * The key of the one state cell whose keys hold all of {@code [from, toExclusive)}, or null when
   * the range is wider. That cell's own key is the only one a cached cell can have in the range:
   * cell prefixes are length-prefixed, so none starts another.
   */
  private static @Nullable ByteKey cellHolding(byte[] from, byte @Nullable [] toExclusive) {
    int cellLength = StateKeys.cellPrefixLength(from);
    if (cellLength <= 0 || toExclusive == null) {
      return null;
    }
    byte[] cell = Arrays.copyOf(from, cellLength);
    byte[] cellEnd = StateKeys.prefixEnd(cell);
    return cellEnd != null && Arrays.compareUnsigned(toExclusive, cellEnd) <= 0
        ? new ByteKey(cell)
        : null;
  }

  /** A cell's decoded contents and the changes it holds back. */
  abstract static class CachedCell {
    /** Whether the cell is in the cache's pending list. */
    boolean pending;

    /** Stages the held-back changes in the backend. */
    abstract void writeTo(RocksDbStateBackend backend);

    /** Drops contents and held-back changes: the stored cell was deleted. */
    abstract void forget(CellCache cache);
  }
}
