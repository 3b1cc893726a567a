package dev.millrace.state;

import dev.millrace.engine.checkpoint.Directories;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * Groups byte records by key, once all are in, within a {@link MemoryBudget}: records are grouped
 * in a hash map while the budget lasts; when it is refused, the map's groups are written out as one
 * run sorted by key, and the map starts again. At the end the runs and what is still in memory are
 * merged, so each key's values come out together, one key at a time, however much was added. This
 * is how batch engines group more than fits in memory (Flink's sort-based shuffle, Spark's external
 * sorter): every record is written and read once when it does not fit, never when it does.
 *
 * <p>Keys are compared by their bytes, as Beam groups by encoded key. One key's values are held in
 * memory together when handed out, so a single key's values must fit in the heap.
 */
public final class ExternalGrouping implements AutoCloseable {

  /** Receives one key and all of its values. */
  public interface GroupVisitor {
    void visit(byte[] key, List<byte[]> values) throws Exception;
  }

  /** Reserved from the budget in steps of this many bytes. */
  static final long RESERVE_STEP = 1 << 20;

  /** Held without a reservation when the budget is spent, so every run has something in it. */
  static final long UNRESERVED_ALLOWANCE = 1 << 20;

  /** Heap a key costs beyond its bytes: a map entry, the key object, a list and array headers. */
  private static final int KEY_OVERHEAD = 128;

  /** Heap a value costs beyond its bytes: an array header and a list slot. */
  private static final int VALUE_OVERHEAD = 24;

  /** Runs merged in one pass; more are first merged into fewer runs, so open files stay few. */
  static final int MAX_MERGE_WIDTH = 64;

  private static final int BUFFER_BYTES = 1 << 16;

  private static final Comparator<Group> KEY_ORDER =
      (a, b) ->
          a.hash != b.hash ? Integer.compare(a.hash, b.hash) : Arrays.compareUnsigned(a.key, b.key);

  private final MemoryBudget.Reservation memory;
  private HashMap<ByteKey, Group> groups = new HashMap<>();
  private long heldBytes;
  private final List<Path> runs = new ArrayList<>();
  private Path directory;
  private long runFiles;
  private long spills;
  private boolean closed;

  /** While draining: what is handed out next. */
  private Iterator<Group> inMemory;

  private PriorityQueue<Source> merging;

  public ExternalGrouping(MemoryBudget budget) {
    this.memory = budget.reservation(RESERVE_STEP);
  }

  /** One key's values. */
  private static final class Group {
    final byte[] key;
    final int hash;
    List<byte[]> values = new ArrayList<>();

    Group(byte[] key, int hash) {
      this.key = key;
      this.hash = hash;
    }
  }

  /** Adds one value of {@code key}; both arrays are kept as they are, not copied. */
  public void add(byte[] key, byte[] value) {
    checkAdding();
    ByteKey k = new ByteKey(key);
    Group group = groups.get(k);
    if (group == null) {
      group = new Group(key, ByteKey.hash(key));
      groups.put(k, group);
      heldBytes += key.length + KEY_OVERHEAD;
    }
    group.values.add(value);
    heldBytes += value.length + VALUE_OVERHEAD;
    if (!memory.cover(heldBytes - UNRESERVED_ALLOWANCE)) {
      spill();
    }
  }

  /** Times what was in memory went to a run on disk. */
  public long spills() {
    return spills;
  }

  /**
   * Hands out keys with their values, after the last {@link #add}, until all were handed out
   * (returns true) or {@code stop} says to pause between two keys (returns false; the next call
   * goes on with the next key).
   */
  public boolean drain(GroupVisitor visitor, BooleanSupplier stop) throws Exception {
    if (closed) {
      throw new IllegalStateException("the grouping is closed");
    }
    if (runs.isEmpty()) {
      if (inMemory == null) {
        inMemory = groups.values().iterator();
      }
      while (inMemory.hasNext()) {
        if (stop.getAsBoolean()) {
          return false;
        }
        Group group = inMemory.next();
        inMemory.remove();
        visitor.visit(group.key, group.values);
      }
      releaseAll();
      return true;
    }
    if (merging == null) {
      startMerge();
    }
    while (!merging.isEmpty()) {
      if (stop.getAsBoolean()) {
        return false;
      }
      Group group = nextMerged(merging);
      visitor.visit(group.key, group.values);
    }
    releaseAll();
    return true;
  }

  /** The groups in memory, sorted by key, to a new run on disk; the memory is free again. */
  private void spill() {
    if (groups.isEmpty()) {
      throw new IllegalStateException("nothing to spill, yet the memory budget is spent");
    }
    List<Group> sorted = new ArrayList<>(groups.values());
    sorted.sort(KEY_ORDER);
    Path run = newRunFile();
    try (RunWriter writer = new RunWriter(run)) {
      for (Group group : sorted) {
        writer.write(group.key, group.hash, group.values);
      }
    }
    runs.add(run);
    spills++;
    groups = new HashMap<>();
    releaseAll();
  }

  private void releaseAll() {
    memory.releaseAll();
    heldBytes = 0;
  }

  private void startMerge() throws IOException {
    // At most MAX_MERGE_WIDTH runs are read at once: merge the oldest into one until few are left.
    while (runs.size() + 1 > MAX_MERGE_WIDTH) {
      List<Path> some = new ArrayList<>(runs.subList(0, MAX_MERGE_WIDTH));
      PriorityQueue<Source> queue = open(some);
      Path merged = newRunFile();
      try (RunWriter writer = new RunWriter(merged)) {
        while (!queue.isEmpty()) {
          Group group = nextMerged(queue);
          writer.write(group.key, group.hash, group.values);
        }
      }
      for (Path run : some) {
        Files.delete(run);
      }
      runs.removeAll(some);
      runs.add(merged);
    }
    merging = open(runs);
    if (!groups.isEmpty()) {
      List<Group> sorted = new ArrayList<>(groups.values());
      sorted.sort(KEY_ORDER);
      groups = new HashMap<>();
      MemorySource memory = new MemorySource(sorted.iterator());
      if (memory.advance()) {
        merging.add(memory);
      }
    }
  }

  private PriorityQueue<Source> open(List<Path> files) {
    PriorityQueue<Source> queue =
        new PriorityQueue<>((a, b) -> KEY_ORDER.compare(a.current(), b.current()));
    for (Path file : files) {
      RunReader reader = new RunReader(file);
      if (reader.advance()) {
        queue.add(reader);
      } else {
        reader.close();
      }
    }
    return queue;
  }

  /** The smallest key of {@code queue} with the values of every source that holds it. */
  private static Group nextMerged(PriorityQueue<Source> queue) {
    Source first = queue.poll();
    Group group = first.current();
    List<byte[]> values = group.values;
    requeue(queue, first);
    while (!queue.isEmpty() && KEY_ORDER.compare(queue.peek().current(), group) == 0) {
      Source same = queue.poll();
      if (values == group.values) {
        values = new ArrayList<>(values);
      }
      values.addAll(same.current().values);
      requeue(queue, same);
    }
    Group merged = new Group(group.key, group.hash);
    merged.values = values;
    return merged;
  }

  private static void requeue(PriorityQueue<Source> queue, Source source) {
    if (source.advance()) {
      queue.add(source);
    } else {
      source.close();
    }
  }

  private Path newRunFile() {
    try {
      if (directory == null) {
        directory = TemporaryDirectories.create("millrace-grouping-");
      }
      return directory.resolve("run-" + runFiles++);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a directory for grouping runs", e);
    }
  }

  private void checkAdding() {
    if (closed || inMemory != null || merging != null) {
      throw new IllegalStateException("values are added before the grouping is drained or closed");
    }
  }

  /** Frees the memory reservation and removes the runs. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (merging != null) {
      for (Source source : merging) {
        source.close();
      }
    }
    groups = new HashMap<>();
    releaseAll();
    if (directory != null) {
      try {
        Directories.deleteRecursively(directory);
      } catch (IOException e) {
        // The shutdown hook of temporary directories tries again.
        return;
      }
      TemporaryDirectories.unregister(directory);
    }
  }

  /** Groups in key order, one at a time. */
  private interface Source {
    /** Moves to the next group; false at the end. */
    boolean advance();

    Group current();

    void close();
  }

  private static final class MemorySource implements Source {
    private final Iterator<Group> groups;
    private Group current;

    MemorySource(Iterator<Group> groups) {
      this.groups = groups;
    }

    @Override
    public boolean advance() {
      current = groups.hasNext() ? groups.next() : null;
      return current != null;
    }

    @Override
    public Group current() {
      return current;
    }

    @Override
    public void close() {}
  }

  /** A run: per key, in key order, {@code hash, key length, key, value count, (length, value)*}. */
  private static final class RunWriter implements AutoCloseable {
    private final Path file;
    private final DataOutputStream out;

    RunWriter(Path file) {
      this.file = file;
      try {
        this.out =
            new DataOutputStream(
                new BufferedOutputStream(Files.newOutputStream(file), BUFFER_BYTES));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write the grouping run " + file, e);
      }
    }

    void write(byte[] key, int hash, List<byte[]> values) {
      try {
        out.writeInt(hash);
        out.writeInt(key.length);
        out.write(key);
        out.writeInt(values.size());
        for (byte[] value : values) {
          out.writeInt(value.length);
          out.write(value);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot write the grouping run " + file + " (is the disk full?)", e);
      }
    }

    @Override
    public void close() {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot write the grouping run " + file + " (is the disk full?)", e);
      }
    }
  }

  private static final class RunReader implements Source {
    private final Path file;
    private final DataInputStream in;
    private Group current;

    RunReader(Path file) {
      this.file = file;
      try {
        this.in =
            new DataInputStream(new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the grouping run " + file, e);
      }
    }

    @Override
    public boolean advance() {
      try {
        int hash;
        try {
          hash = in.readInt();
        } catch (EOFException end) {
          current = null;
          return false;
        }
        byte[] key = in.readNBytes(in.readInt());
        int count = in.readInt();
        Group group = new Group(key, hash);
        List<byte[]> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          values.add(in.readNBytes(in.readInt()));
        }
        group.values = values;
        current = group;
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the grouping run " + file, e);
      }
    }

    @Override
    public Group current() {
      return current;
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        // Read to the end or abandoned: the file goes with the directory either way.
      }
    }
  }
}
