package dev.millrace.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A bag's elements added since its last write-out, held decoded in a {@link CellCache} and appended
 * to the backend only at a flush, a drop, or when they pass {@link #MAX_HELD}. A window's bag
 * filled and read once when the window fires, then cleared (a GroupByKey's pane, a CoGroupByKey's
 * inputs), never costs RocksDB an append, a seek or a delete when that happens between two
 * checkpoints.
 */
final class CachedBag<T> extends CellCache.CachedCell {
  /** Past this many held elements the bag writes them out, so one hot bag stays bounded. */
  static final int MAX_HELD = 10_000;

  private final CellCache cache;
  private final byte[] prefix;
  private final Coder<T> coder;
  private final List<T> held = new ArrayList<>();

  /** Whether the backend holds elements of this bag; null when not known. */
  private @Nullable Boolean stored;

  /** The encoded size of the held elements as counted, from those measured. */
  private long size;

  private long measuredBytes;
  private int measured;

  CachedBag(CellCache cache, byte[] prefix, Coder<T> coder, RocksDbStateBackend backend) {
    this.cache = cache;
    this.prefix = prefix;
    this.coder = coder;
    this.stored = backend.mayHaveAppended(prefix) ? null : Boolean.FALSE;
  }

  void add(RocksDbStateBackend backend, T value) {
    held.add(value);
    // Measured at the 1st, 2nd, 4th... element of a run: elements of one bag are alike in size.
    if (CellCache.measuresWrite(held.size())) {
      measuredBytes += Codec.encode(coder, value).length;
      measured++;
    }
    long newSize = held.size() * measuredBytes / Math.max(1, measured);
    cache.grew(1, newSize - size);
    size = newSize;
    cache.changed(this);
    if (held.size() >= MAX_HELD) {
      writeTo(backend);
    }
  }

  Iterable<T> read(RocksDbStateBackend backend) {
    if (Boolean.FALSE.equals(stored)) {
      return Collections.unmodifiableList(new ArrayList<>(held));
    }
    writeTo(backend);
    List<T> elements = new ArrayList<>();
    for (RocksDbStateBackend.Entry e : backend.scanPrefix(prefix)) {
      elements.add(Codec.decode(coder, e.value()));
    }
    stored = !elements.isEmpty();
    return Collections.unmodifiableList(elements);
  }

  boolean isEmpty(RocksDbStateBackend backend) {
    if (!held.isEmpty()) {
      return false;
    }
    if (stored != null) {
      return !stored;
    }
    stored = backend.hasKeyWithPrefix(prefix);
    return !stored;
  }

  void clear(RocksDbStateBackend backend) {
    boolean mayBeStored = !Boolean.FALSE.equals(stored);
    release();
    if (mayBeStored) {
      backend.deletePrefix(prefix); // forgets this cell: nothing is known stored after it
    }
    stored = Boolean.FALSE;
  }

  private void release() {
    cache.grew(-held.size(), -size);
    held.clear();
    size = 0;
    measuredBytes = 0;
    measured = 0;
  }

  @Override
  void writeTo(RocksDbStateBackend backend) {
    if (held.isEmpty()) {
      return;
    }
    List<T> toWrite = new ArrayList<>(held);
    release();
    for (T value : toWrite) {
      backend.append(prefix, Codec.encode(coder, value));
    }
    stored = Boolean.TRUE;
  }

  @Override
  void describeTo(HeldChanges out) {
    for (T value : held) {
      out.append(prefix, Codec.encode(coder, value));
    }
  }

  @Override
  void forget(CellCache cache) {
    release();
    stored = null;
  }
}
