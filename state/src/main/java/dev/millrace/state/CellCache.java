package dev.millrace.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
 * once and keep it until it is dropped (over the budget, the oldest unused first; or all of them
 * with a discarded batch), so an access costs no lookup. The backend flushes before anything that
 * reads its keys in ranges (scans, commits, checkpoints), and a range delete forgets the cells it
 * covers, so the batch and the database never disagree with a cell that is not pending. Values are
 * held as the user gave or read them, as the heap backend holds them: a value changed in place
 * after a write is what the flush encodes.
 */
final class CellCache {
  /** Over this many bytes (encoded sizes, plus a per-entry overhead) cells are dropped. */
  static final long MAX_BYTES = 16L << 20;

  /** Over this many cells and map entries cells are dropped. */
  static final int MAX_ENTRIES = 100_000;

  /** What an entry costs besides its encoded value: objects, map nodes, its key. */
  static final int ENTRY_OVERHEAD = 96;

  /**
   * What every cache may hold without asking: {@link #MAX_BYTES} of values and {@link #MAX_ENTRIES}
   * entries. Past it a cache borrows from {@link #SHARED} in steps of {@link #BORROW_STEP}, and
   * drops cells only when it is refused.
   */
  private static final long OWN_FOOTPRINT = MAX_BYTES + (long) MAX_ENTRIES * ENTRY_OVERHEAD;

  /** What a cache, or a timer store, borrows from {@link #SHARED} at a time. */
  static final long BORROW_STEP = 4L << 20;

  /**
   * An eighth of the heap, shared by the cell caches of every backend of this JVM: a job whose
   * windows keep a few hundred thousand keys open holds them all, while many keyed operators
   * together stay bounded.
   */
  static final MemoryBudget SHARED = new MemoryBudget(Runtime.getRuntime().maxMemory() / 8);

  /** Dropping goes on until the cache holds at most this share of what it may hold. */
  private static final double AFTER_DROPPING = 0.75;

  private final RocksDbStateBackend backend;
  private final MemoryBudget.Reservation borrowed;
  // In the order cells came, for dropping the oldest first.
  private final LinkedHashMap<ByteKey, CachedCell> cells = new LinkedHashMap<>();
  private final List<CachedCell> pending = new ArrayList<>();
  private long dropped;
  private long bytes;
  private long entries;

  CellCache(RocksDbStateBackend backend, MemoryBudget shared) {
    this.backend = backend;
    this.borrowed = shared.reservation(BORROW_STEP);
  }

  /** Bytes the cached cells are counted at. */
  long heldBytes() {
    return bytes;
  }

  /** How many cells hold changes back now. */
  int pendingCount() {
    return pending.size();
  }

  /** How many cells and map entries and bag elements the cache holds now. */
  long entries() {
    return entries;
  }

  /** How many cells were dropped so far. */
  long dropped() {
    return dropped;
  }

  /** The cell stored under {@code key}, made by {@code create} if there is none yet. */
  @SuppressWarnings("unchecked")
  <C extends CachedCell> C cell(byte[] key, Function<byte[], C> create) {
    trim();
    ByteKey id = new ByteKey(key);
    CachedCell cell = cells.get(id);
    if (cell != null) {
      cell.used = true; // found again: another key's entry (or a new one of this key) binds it
    } else {
      cell = create.apply(key);
      cell.id = id;
      cell.overhead = ENTRY_OVERHEAD + key.length;
      cells.put(id, cell);
      grew(1, cell.overhead);
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

  /** Describes every held-back change to {@code out}, holding them all back still. */
  void describeHeld(HeldChanges out) {
    for (CachedCell cell : pending) {
      if (cell.pending) {
        cell.describeTo(out);
      }
    }
  }

  /**
   * Keeps within the budget: over it, drops cells, oldest first, until a quarter of the budget is
   * free; a cell used since the last round is spared once and goes to the back (a second chance, as
   * a clock sweep gives). A dropped cell's held-back changes are staged first.
   */
  void trim() {
    long footprint = footprint();
    long allowed = OWN_FOOTPRINT + borrowed.reservedBytes();
    if (footprint <= allowed) {
      if (footprint < allowed / 2) {
        borrowed.shrinkTo(footprint - OWN_FOOTPRINT + BORROW_STEP);
      }
      return;
    }
    if (borrowed.cover(footprint - OWN_FOOTPRINT)) {
      return;
    }
    for (int round = 0; round < 2 && over(AFTER_DROPPING); round++) {
      List<CachedCell> spared = new ArrayList<>();
      Iterator<CachedCell> oldestFirst = cells.values().iterator();
      while (oldestFirst.hasNext() && over(AFTER_DROPPING)) {
        CachedCell cell = oldestFirst.next();
        oldestFirst.remove();
        if (cell.used) {
          cell.used = false;
          spared.add(cell);
        } else {
          drop(cell);
        }
      }
      spared.forEach(cell -> cells.put(cell.id, cell));
    }
    // Dropped cells wrote what they held: the pending list must not keep them alive until the
    // next flush (a job without checkpoints may never commit).
    pending.removeIf(
        cell -> {
          if (cell.dropped) {
            cell.pending = false;
          }
          return cell.dropped;
        });
  }

  /** Values and entries as the budget counts them. */
  private long footprint() {
    return bytes + entries * ENTRY_OVERHEAD;
  }

  private boolean over(double share) {
    return footprint() > (OWN_FOOTPRINT + borrowed.reservedBytes()) * share;
  }

  /** Gives back what this cache borrowed: its backend is closed. */
  void close() {
    borrowed.releaseAll();
  }

  private void drop(CachedCell cell) {
    if (cell.pending) {
      cell.writeTo(backend); // trim takes it off the pending list
    }
    cell.forget(this);
    cell.dropped = true;
    grew(-1, -cell.overhead);
    dropped++;
  }

  /** Drops every cell and every held-back change (the batch they would go to is gone). */
  void dropAll() {
    for (CachedCell cell : cells.values()) {
      cell.dropped = true;
    }
    dropped += cells.size();
    cells.clear();
    pending.clear();
    bytes = 0;
    entries = 0;
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

    /**
     * Whether the cell was used again, after the access that brought it in, since the cache last
     * looked for cells to drop. A cell used once (a new window's, a new key's) goes first.
     */
    boolean used;

    /** Dropped from the cache: a handle holding it must look for its cell again. */
    boolean dropped;

    ByteKey id;

    /** What the cell itself counts for in the cache's bytes, besides its values. */
    int overhead;

    /** Stages the held-back changes in the backend. */
    abstract void writeTo(RocksDbStateBackend backend);

    /** Describes the held-back changes as {@link #writeTo} would stage them, holding them still. */
    abstract void describeTo(HeldChanges out);

    /** Drops contents and held-back changes: the stored cell was deleted. */
    abstract void forget(CellCache cache);
  }
}
