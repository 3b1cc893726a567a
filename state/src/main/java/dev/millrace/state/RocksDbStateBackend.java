package dev.millrace.state;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.StateNamespace;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatchWithIndex;

/**
 * The keyed state of one operator in one subtask, in one RocksDB ({@link RocksDbInstance}: files,
 * layout version, checkpoints).
 *
 * <p>All writes are staged in an indexed write batch and reach the database only on {@link
 * #endBundle()}, which the engine calls at the end of a bundle, or {@link #commit()}; staged writes
 * are dropped with {@link #discard()}. Reads merge the batch over the database, so a bundle sees
 * its own writes. Value, combining and map cells keep their decoded values in a {@link CellCache}
 * and hold their changes back across bundles until a commit or the cache's budget, as a {@link
 * RocksDbTimerStore} holds its new timers ({@link HeldWrites}). A {@link RocksDbValueCache} in
 * front of the batch remembers other small values read and written; where each bag-like cell
 * appends next is kept too. The WAL is off: what must survive the process is written by {@link
 * #checkpointTo} and read back by {@link #restoreTemporary}.
 *
 * <p>Not thread-safe: the engine processes one bundle at a time per backend (workers take turns at
 * a subtask, never two at once).
 */
public final class RocksDbStateBackend implements AutoCloseable {

  /** Version of the key layout described in {@link StateKeys}; bump on any incompatible change. */
  public static final int LAYOUT_VERSION = 2;

  /**
   * Per first key byte: no live key of that index lies below this (see {@link #firstKeyOfIndex}).
   */
  private final byte[][] indexFloors = new byte[256][];

  /** Per state cell: no live entry lies below its floor (see {@link CellFloors}). */
  private final CellFloors cellFloors = new CellFloors();

  /** Namespaces whose string key is kept; past it the cache starts over. */
  private static final int MAX_NAMESPACE_KEYS = 1 << 14;

  /** Groups whose next sequence number is kept; past it the cache starts over. */
  private static final int MAX_CACHED_SEQUENCES = 1 << 16;

  private final RocksDbInstance instance;
  private final ReadOptions readOptions;
  private final WriteBatchWithIndex batch;
  private final KeyDictionary keyDictionary = new KeyDictionary(this);
  // Next sequence number per appendable group (bag, multimap key, ordered list timestamp), so
  // only a group's first add seeks. Never invalidated by deletes: a sequence only has to grow,
  // gaps are harmless. Kept across commits (this backend is its database's only writer), so a
  // group cleared and refilled keeps growing above its deleted entries: restarting at 0 would put
  // the new entries below the tombstones, and every seek of the group would walk them all.
  // Dropped at discard, and when it holds MAX_CACHED_SEQUENCES groups.
  private final Map<ByteKey, long[]> nextSequences = new HashMap<>();
  private final RocksDbValueCache values = new RocksDbValueCache();
  private final CellCache cells;
  private final List<HeldWrites> heldWrites = new ArrayList<>(1);
  // Every key put since this backend was opened empty (appends aside: read by scans only).
  private final WrittenKeys writtenKeys;
  private final Map<StateNamespace, byte[]> namespaceKeys = new HashMap<>();
  private long modifications;
  private long discards;

  /**
   * A backend in a fresh temporary directory that is deleted on {@link #close()}. The database is
   * only opened by the first write; until then every read finds nothing.
   */
  public static RocksDbStateBackend openTemporary() {
    return openTemporary(CellCache.SHARED);
  }

  /** {@link #openTemporary()}, its cells borrowing from {@code cellBudget} past their own. */
  static RocksDbStateBackend openTemporary(MemoryBudget cellBudget) {
    return new RocksDbStateBackend(RocksDbInstance.temporary(), WrittenKeys.empty(), cellBudget);
  }

  /**
   * A temporary backend (deleted on close, like {@link #openTemporary()}) that starts with what
   * {@link #checkpointTo} wrote to {@code checkpoint}, which is left as it was.
   */
  public static RocksDbStateBackend restoreTemporary(Path checkpoint) {
    RocksDbStateBackend backend =
        new RocksDbStateBackend(
            RocksDbInstance.restoreTemporary(checkpoint), WrittenKeys.unknown(), CellCache.SHARED);
    try {
      HeldChangesFile.replay(checkpoint, backend.writes());
      backend.commit();
      return backend;
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  /**
   * Writes the state as it is now to {@code target}, which must not exist yet: the staged writes
   * are applied, the database checkpointed (the memtable is flushed first, SST files are hard
   * links, so it costs little more than the flush), and the changes the cells and timers hold back
   * go to a file beside it ({@link HeldChangesFile}) while they stay held. A backend never written
   * to leaves an empty directory, which restores to an empty backend.
   */
  public void checkpointTo(Path target) {
    writeBatch();
    instance.checkpointTo(target);
    HeldChangesFile.write(
        target,
        held -> {
          cells.describeHeld(held);
          heldWrites.forEach(writes -> writes.describeTo(held));
        });
  }

  /** This backend's own writes, as a restore applies held changes. */
  private HeldChanges writes() {
    return new HeldChanges() {
      @Override
      public void put(byte[] key, byte[] value) {
        RocksDbStateBackend.this.put(key, value);
      }

      @Override
      public void delete(byte[] key) {
        RocksDbStateBackend.this.delete(key);
      }

      @Override
      public void append(byte[] group, byte[] value) {
        RocksDbStateBackend.this.append(group, value);
      }
    };
  }

  /** Opens (or creates) a backend in {@code directory}, which is kept on close. */
  public static RocksDbStateBackend open(Path directory) {
    return open(directory, LAYOUT_VERSION);
  }

  /** Lets tests impersonate another layout version. */
  static RocksDbStateBackend open(Path directory, int layoutVersion) {
    return new RocksDbStateBackend(
        RocksDbInstance.open(directory, layoutVersion), WrittenKeys.unknown(), CellCache.SHARED);
  }

  private RocksDbStateBackend(
      RocksDbInstance instance, WrittenKeys writtenKeys, MemoryBudget cellBudget) {
    this.instance = instance;
    this.cells = new CellCache(this, cellBudget);
    this.writtenKeys = writtenKeys;
    this.readOptions = instance.track(new ReadOptions());
    // overwriteKey=true: the batch index keeps only the latest write per key, which is what
    // getFromBatchAndDB and the merged iterators expect for plain put/delete.
    this.batch = instance.track(new WriteBatchWithIndex(true));
  }

  /** The directory holding the database files. */
  public Path directory() {
    return instance.directory();
  }

  /** The byte range holding all state of {@code keyGroup}. */
  public KeyGroupRange keyGroupRange(int keyGroup) {
    return new KeyGroupRange(keyGroup);
  }

  /**
   * The prefix of all state of a key (every namespace, every state id): {@code [key group][key]},
   * where a key longer than {@link StateKeys#INLINE_KEY_LIMIT} is replaced by a short dictionary
   * reference, so a huge key is stored once rather than in every cell, timer and index entry.
   */
  public byte[] keyPrefix(int keyGroup, byte[] encodedKey) {
    return keyDictionary.keyPrefix(keyGroup, encodedKey);
  }

  /**
   * The encoded user key of a key built from {@link #keyPrefix} (a state cell, or a timer
   * identity): its component after the key group, looked up in the dictionary if it is a reference.
   */
  public byte[] encodedKeyOf(byte[] storedKey) {
    return keyDictionary.encodedKeyOf(storedKey);
  }

  /** The value at {@code key}, including uncommitted writes, or null. */
  public byte @Nullable [] get(byte[] key) {
    if (neverWritten()) {
      return null;
    }
    ByteKey cacheKey = new ByteKey(key);
    byte[] cached = values.get(cacheKey);
    if (cached != null) {
      return cached == RocksDbValueCache.ABSENT ? null : cached;
    }
    byte[] value = getUncached(key);
    values.remember(cacheKey, value == null ? RocksDbValueCache.ABSENT : value);
    return value;
  }

  /**
   * The value at {@code key}, including uncommitted writes, or null, past the read cache and
   * leaving it alone: for {@link CellCache} cells, which hold their values themselves, so their
   * keys go past the read cache both ways. Never read through {@link #get} a key a cell owns.
   */
  byte @Nullable [] getUncached(byte[] key) {
    RocksDB db = instance.ifOpen();
    if (db == null || !writtenKeys.mayContain(key)) {
      return null;
    }
    try {
      return batch.getFromBatchAndDB(db, readOptions, key);
    } catch (RocksDBException e) {
      throw new IllegalStateException("RocksDB read failed", e);
    }
  }

  /**
   * Stages a put of a key never read through {@link #get}: a cell's (read with {@link
   * #getUncached}), or an index entry (found by seeks). The read cache is left alone, so such keys
   * do not crowd out the ones it serves.
   */
  void putUnread(byte[] key, byte[] value) {
    writtenKeys.add(key);
    write(key, value, Caching.NONE);
  }

  /** Stages the delete of a key never read through {@link #get} (see {@link #putUnread}). */
  void deleteUnread(byte[] key) {
    stageDelete(key);
  }

  /**
   * Stages a put; visible to reads at once, durable in the DB after {@link #commit()}. The cache
   * may keep {@code key} and {@code value}, and arrays {@link #get} returns are shared with it:
   * never change either afterwards.
   */
  public void put(byte[] key, byte[] value) {
    writtenKeys.add(key);
    write(key, value, RocksDbValueCache.keepsPutOf(value) ? Caching.KEEP : Caching.FORGET);
  }

  /**
   * Stages {@code value} under {@code group + next sequence number}: appends in insertion order to
   * a group whose entries are read back only by scans, so the read cache is not involved.
   */
  public void append(byte[] group, byte[] value) {
    write(
        StateKeys.withSubKey(group, StateKeys.sequence(nextSequence(group))),
        value,
        Caching.FORGET);
  }

  /** What a write does to the read cache's entry of its key. */
  private enum Caching {
    KEEP,
    FORGET,
    /** A key never read through the read cache. */
    NONE
  }

  private void write(byte[] key, byte[] value, Caching caching) {
    instance.database();
    modifications++;
    byte[] floor = indexFloors[key[0] & 0xff];
    if (floor != null && Arrays.compareUnsigned(key, floor) < 0) {
      indexFloors[key[0] & 0xff] = key;
    }
    cellFloors.written(key);
    if (caching == Caching.KEEP) {
      values.remember(new ByteKey(key), value);
    } else if (caching == Caching.FORGET) {
      values.forget(new ByteKey(key));
    }
    try {
      batch.put(key, value);
    } catch (RocksDBException e) {
      throw new IllegalStateException("RocksDB write failed", e);
    }
  }

  /** Stages a delete. */
  public void delete(byte[] key) {
    values.remember(new ByteKey(key), RocksDbValueCache.ABSENT);
    stageDelete(key);
  }

  private void stageDelete(byte[] key) {
    instance.database();
    modifications++;
    try {
      batch.delete(key);
    } catch (RocksDBException e) {
      throw new IllegalStateException("RocksDB delete failed", e);
    }
  }

  /**
   * {@code namespace.stringKey()} in UTF-8, as state and timer keys carry it. Runners-core builds
   * the string anew on every call, encoding the window; a window's keys are built for every state
   * cell bound and every timer set in it. Up to {@link #MAX_NAMESPACE_KEYS} are kept.
   */
  byte[] namespaceKey(StateNamespace namespace) {
    byte[] key = namespaceKeys.get(namespace);
    if (key == null) {
      if (namespaceKeys.size() >= MAX_NAMESPACE_KEYS) {
        namespaceKeys.clear();
      }
      key = namespace.stringKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      namespaceKeys.put(namespace, key);
    }
    return key;
  }

  /** Registers changes held in front of this backend, to be written at each commit. */
  void holdWritesIn(HeldWrites held) {
    heldWrites.add(held);
  }

  /** The decoded value, combining and map cells in front of this backend. */
  CellCache cells() {
    return cells;
  }

  /** Stages deletes of every key in {@code [from, toExclusive)}. */
  public void deleteRange(byte[] from, byte @Nullable [] toExclusive) {
    cells.deleting(from, toExclusive);
    deleteStaged(from, toExclusive);
  }

  private void deleteStaged(byte[] from, byte @Nullable [] toExclusive) {
    // WriteBatchWithIndex does not support DeleteRange, so delete the keys one by one; collect
    // first because modifying the batch invalidates its iterators.
    if (neverWritten()) {
      return;
    }
    List<byte[]> keys = new ArrayList<>();
    try (Cursor cursor = new Cursor(from, toExclusive)) {
      RocksIterator it = cursor.iterator;
      for (it.seek(from); it.isValid() && below(it.key(), toExclusive); it.next()) {
        keys.add(it.key());
      }
    }
    keys.forEach(this::delete);
  }

  /** Stages deletes of every key starting with {@code prefix}. */
  public void deletePrefix(byte[] prefix) {
    byte[] end = StateKeys.prefixEnd(prefix);
    cells.deleting(prefix, end);
    if (!CellFloors.isCell(prefix)) {
      deleteStaged(prefix, end);
      return;
    }
    if (!cellFloors.knownEmpty(prefix, end)) {
      deleteStaged(cellFloors.seekFrom(prefix), end);
      cellFloors.found(prefix, null, end);
    }
  }

  /** A key/value pair read from the backend. */
  public record Entry(byte[] key, byte[] value) {}

  /**
   * All entries in {@code [from, toExclusive)}, including uncommitted writes, in key order. The
   * result is a copy, so later writes do not affect it.
   */
  public List<Entry> scan(byte[] from, byte @Nullable [] toExclusive) {
    cells.flushRange(from, toExclusive);
    List<Entry> entries = new ArrayList<>();
    if (neverWritten()) {
      return entries;
    }
    try (Cursor cursor = new Cursor(from, toExclusive)) {
      RocksIterator it = cursor.iterator;
      for (it.seek(from); it.isValid() && below(it.key(), toExclusive); it.next()) {
        entries.add(new Entry(it.key(), it.value()));
      }
    }
    return entries;
  }

  /** Receives entries of {@link #forEach}; may not write to the backend while it runs. */
  public interface EntryVisitor {
    /** Returns false to stop the visit before this entry: it is left unvisited. */
    boolean visit(byte[] key, byte[] value) throws Exception;
  }

  /**
   * Visits every entry in {@code [from, toExclusive)} in key order, including uncommitted writes,
   * one at a time: unlike {@link #scan}, the range may be far larger than the heap.
   */
  public void forEach(byte[] from, byte @Nullable [] toExclusive, EntryVisitor visitor)
      throws Exception {
    cells.flushRange(from, toExclusive);
    if (neverWritten()) {
      return;
    }
    try (Cursor cursor = new Cursor(from, toExclusive)) {
      RocksIterator it = cursor.iterator;
      for (it.seek(from); it.isValid() && below(it.key(), toExclusive); it.next()) {
        if (!visitor.visit(it.key(), it.value())) {
          return;
        }
      }
    }
  }

  /** The length of the {@code [key group][key]} prefix at the start of a stored state key. */
  public static int keyPrefixLength(byte[] storedKey) {
    return StateKeys.keyComponentAt(storedKey, StateKeys.KEY_GROUP_BYTES)[1];
  }

  /** All entries whose key starts with {@code prefix}. */
  public List<Entry> scanPrefix(byte[] prefix) {
    byte[] end = StateKeys.prefixEnd(prefix);
    cells.flushRange(prefix, end);
    if (!CellFloors.isCell(prefix)) {
      return scan(prefix, end);
    }
    if (cellFloors.knownEmpty(prefix, end)) {
      return new ArrayList<>();
    }
    List<Entry> entries = scan(cellFloors.seekFrom(prefix), end);
    cellFloors.found(prefix, entries.isEmpty() ? null : entries.get(0).key(), end);
    return entries;
  }

  /** The first key in {@code [from, toExclusive)}, or null. */
  public byte @Nullable [] firstKey(byte[] from, byte @Nullable [] toExclusive) {
    cells.flushRange(from, toExclusive);
    return firstStagedKey(from, toExclusive);
  }

  /** {@link #firstKey} without flushing the cells: for ranges that hold no cell. */
  private byte @Nullable [] firstStagedKey(byte[] from, byte @Nullable [] toExclusive) {
    if (neverWritten()) {
      return null;
    }
    try (Cursor cursor = new Cursor(from, toExclusive)) {
      RocksIterator it = cursor.iterator;
      it.seek(from);
      return it.isValid() && below(it.key(), toExclusive) ? it.key() : null;
    }
  }

  /**
   * The first key in {@code [from, toExclusive)} of the index whose keys all start with {@code
   * from[0]}, seeking from the lowest key the index may still hold rather than from {@code from}.
   * Indexes whose first entries are deleted one after another (timers as they fire, holds as they
   * are released) would otherwise make every seek step over all those tombstones again, which is
   * quadratic in the entries removed until a compaction. A miss raises the floor to {@code
   * toExclusive}, so asking again for the same range costs no seek. {@code from} must be the
   * index's start or a key no live entry lies below; {@code toExclusive} must be within the index.
   */
  public byte @Nullable [] firstKeyOfIndex(byte[] from, byte[] toExclusive) {
    int index = from[0] & 0xff;
    byte[] floor = indexFloors[index];
    if (floor != null && Arrays.compareUnsigned(floor, toExclusive) >= 0) {
      return null;
    }
    byte[] seekFrom = floor != null && Arrays.compareUnsigned(floor, from) > 0 ? floor : from;
    // Indexes (timers, holds) lie above every key group, where no cell is.
    byte[] first = firstStagedKey(seekFrom, toExclusive);
    // Nothing live lies below the first key found; on a miss, nothing below the range's end.
    indexFloors[index] = first != null ? first : toExclusive;
    return first;
  }

  /**
   * A key no live entry of the index {@code index} lies below (without a seek), or null when
   * nothing is known yet. Writes below it move it down.
   */
  public byte @Nullable [] indexFloor(byte index) {
    return indexFloors[index & 0xff];
  }

  /** The last key starting with {@code prefix}, or null. */
  public byte @Nullable [] lastKeyWithPrefix(byte[] prefix) {
    byte[] end = StateKeys.prefixEnd(prefix);
    cells.flushRange(prefix, end);
    if (neverWritten()) {
      return null;
    }
    if (end != null && CellFloors.isCell(prefix) && cellFloors.knownEmpty(prefix, end)) {
      return null;
    }
    try (Cursor cursor = new Cursor(prefix, end)) {
      RocksIterator it = cursor.iterator;
      if (end == null) {
        it.seekToLast();
      } else {
        it.seekForPrev(end);
        if (it.isValid() && Arrays.equals(it.key(), end)) {
          it.prev();
        }
      }
      return it.isValid() && StateKeys.hasPrefix(it.key(), prefix) ? it.key() : null;
    }
  }

  /** The next free 8-byte sequence number among keys {@code group + seq}. */
  private long nextSequence(byte[] group) {
    long[] next = nextSequences.get(new ByteKey(group));
    if (next == null) {
      // A group never appended to has nothing to seek, tombstones included.
      byte[] last = mayHaveAppended(group) ? lastKeyWithPrefix(group) : null;
      writtenKeys.add(group);
      next = new long[] {last == null ? 0 : StateKeys.longAt(last, last.length - 8) + 1};
      if (nextSequences.size() >= MAX_CACHED_SEQUENCES) {
        nextSequences.clear();
      }
      nextSequences.put(new ByteKey(group), next);
    }
    return next[0]++;
  }

  /**
   * Whether {@code key} may have been put since this backend was opened empty; false only if it
   * certainly was not (always true for a restored backend).
   */
  boolean mayHaveWritten(byte[] key) {
    return instance.ifOpen() != null && writtenKeys.mayContain(key);
  }

  /**
   * Whether {@link #append} may have been called for {@code group} since this backend was opened
   * empty; false only if it certainly was not (always true for a restored backend).
   */
  boolean mayHaveAppended(byte[] group) {
    return writtenKeys.mayContain(group);
  }

  /** Whether any key starts with {@code prefix}. */
  public boolean hasKeyWithPrefix(byte[] prefix) {
    byte[] end = StateKeys.prefixEnd(prefix);
    cells.flushRange(prefix, end);
    if (!CellFloors.isCell(prefix)) {
      return firstKey(prefix, end) != null;
    }
    if (cellFloors.knownEmpty(prefix, end)) {
      return false;
    }
    byte[] first = firstStagedKey(cellFloors.seekFrom(prefix), end);
    cellFloors.found(prefix, first, end);
    return first != null;
  }

  /** The earliest watermark hold of any key's state here, or null: one seek. */
  public org.joda.time.@Nullable Instant minimumWatermarkHold() {
    return RocksDbWatermarkHoldState.minimum(this);
  }

  /** A time no watermark hold is earlier than, usually found without a seek; null if none. */
  public org.joda.time.@Nullable Instant minimumWatermarkHoldLowerBound() {
    return RocksDbWatermarkHoldState.minimumLowerBound(this);
  }

  /**
   * Atomically applies every write so far to the database (without WAL), the changes the cells hold
   * back included.
   */
  /**
   * RocksDB's estimate of its entries, plus the cells its cache holds back: a cheap count, for
   * people watching the job.
   */
  public long estimatedEntries() {
    return instance.longProperty("rocksdb.estimate-num-keys") + cells.entries();
  }

  /** RocksDB's live data and memtables, plus what the cells' cache holds: an estimate. */
  public long estimatedBytes() {
    return instance.longProperty("rocksdb.estimate-live-data-size")
        + instance.longProperty("rocksdb.cur-size-all-mem-tables")
        + cells.heldBytes();
  }

  public void commit() {
    heldWrites.forEach(HeldWrites::writeOut);
    cells.flush();
    writeBatch();
    cells.trim();
  }

  /**
   * The end of a bundle: applies the staged writes, while the cells keep holding their changes back
   * (within their budget), so that a cell changed in bundle after bundle, or set up and cleared
   * again within a few (a window's accumulator, a counter of a second), costs the database nothing
   * until a {@link #commit()} (before a checkpoint) or the budget makes them go.
   */
  public void endBundle() {
    cells.trim();
    writeBatch();
  }

  private void writeBatch() {
    RocksDB db = instance.ifOpen();
    if (db == null) {
      return; // nothing was ever written
    }
    try {
      db.write(instance.writeOptions(), batch);
    } catch (RocksDBException e) {
      throw new IllegalStateException("RocksDB commit failed", e);
    }
    batch.clear();
  }

  /**
   * Drops every staged write and every change the cells hold back; reads see the last committed
   * state again. After {@link #endBundle()} the cells may hold changes of earlier bundles, which go
   * too: only state as of a {@link #commit()} comes back exactly.
   */
  public void discard() {
    checkOpen();
    modifications++;
    discards++;
    batch.clear();
    nextSequences.clear();
    values.clear();
    cells.dropAll();
    heldWrites.forEach(HeldWrites::drop);
    // Deleted entries below a floor come back with the batch gone.
    Arrays.fill(indexFloors, null);
    cellFloors.clear();
  }

  /**
   * Grows with every put, delete and discard: a value derived from reads (such as a minimum hold)
   * is still valid while this has not changed.
   */
  public long modifications() {
    return modifications;
  }

  /** How many times {@link #discard()} brought back deleted data: cached positions are stale. */
  public long discards() {
    return discards;
  }

  /** Number of staged, uncommitted writes. */
  public int pendingWrites() {
    checkOpen();
    heldWrites.forEach(HeldWrites::writeOut);
    cells.flush();
    return batch.count();
  }

  /** Closes the database, dropping uncommitted writes, and deletes a temporary directory. */
  @Override
  public void close() {
    heldWrites.forEach(HeldWrites::close);
    cells.close();
    instance.close();
  }

  /** Whether nothing was ever written, so every read finds nothing without opening the DB. */
  private boolean neverWritten() {
    return instance.ifOpen() == null;
  }

  /**
   * An iterator over the batch and the database that stays within {@code [lower, upper)}. RocksDB
   * steps over deleted entries until it meets a live one: unbounded, a seek into a range with
   * nothing live walks every tombstone beyond it (fired timers, released holds, cleared cells of
   * other keys), which made each seek cost as much as the deletes since the last compaction.
   */
  private final class Cursor implements AutoCloseable {
    final RocksIterator iterator;
    private final ReadOptions options = new ReadOptions();
    private final Slice lowerBound;
    private final @Nullable Slice upperBound;

    Cursor(byte[] lower, byte @Nullable [] upper) {
      checkOpen();
      lowerBound = new Slice(lower);
      options.setIterateLowerBound(lowerBound);
      upperBound = upper == null ? null : new Slice(upper);
      if (upperBound != null) {
        options.setIterateUpperBound(upperBound);
      }
      // The merged iterator owns the base iterator and frees it on close.
      iterator = batch.newIteratorWithBase(instance.database().newIterator(options), options);
    }

    @Override
    public void close() {
      iterator.close();
      options.close();
      lowerBound.close();
      if (upperBound != null) {
        upperBound.close();
      }
    }
  }

  private static boolean below(byte[] key, byte @Nullable [] toExclusive) {
    return toExclusive == null || Arrays.compareUnsigned(key, toExclusive) < 0;
  }

  private void checkOpen() {
    instance.checkOpen();
  }
}
