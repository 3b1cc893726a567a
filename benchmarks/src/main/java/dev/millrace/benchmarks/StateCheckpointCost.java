package dev.millrace.benchmarks;

import dev.millrace.state.RocksDbStateBackend;
import dev.millrace.state.TemporaryDirectories;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a checkpoint of a large keyed state costs: one RocksDB backend (one keyed operator of one
 * subtask) filled with {@code --megabytes} of incompressible values in 1 KB cells, committed as
 * bundles would, then checkpointed as the engine does ({@code RocksDbStateBackend.checkpointTo}).
 * Prints the time of the first checkpoint and the size of its files (most are hard links to the
 * live database's SST files, which cost no disk), then of a second one after 1% more writes and
 * the size of its files the first did not have (what an incremental copy elsewhere would move),
 * and the time a restore takes.
 *
 * <p>Run: {@code mvn -B -q -pl benchmarks exec:exec -Dbench.args="--state-checkpoint-mb=1024"}
 */
public final class StateCheckpointCost {
  private static final int VALUE_BYTES = 1024;
  private static final int CELLS_PER_BUNDLE = 10_000;

  private StateCheckpointCost() {}

  public static void main(String[] args) throws Exception {
    long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 1024;
    long cells = megabytes * 1024 * 1024 / VALUE_BYTES;
    Path work = Files.createTempDirectory("millrace-checkpoint-cost-");
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      Random random = new Random(42);
      byte[] value = new byte[VALUE_BYTES];
      long start = System.nanoTime();
      for (long cell = 0; cell < cells; cell++) {
        random.nextBytes(value);
        backend.put(key(backend, cell), value.clone());
        if (cell % CELLS_PER_BUNDLE == CELLS_PER_BUNDLE - 1) {
          backend.commit();
        }
      }
      backend.commit();
      double fillSeconds = (System.nanoTime() - start) / 1e9;

      Path first = work.resolve("chk-1");
      long t0 = System.nanoTime();
      backend.checkpointTo(first);
      double firstSeconds = (System.nanoTime() - t0) / 1e9;

      for (long cell = 0; cell < cells / 100; cell++) {
        random.nextBytes(value);
        backend.put(key(backend, cells + cell), value.clone());
      }
      backend.commit();
      Path second = work.resolve("chk-2");
      long t1 = System.nanoTime();
      backend.checkpointTo(second);
      double secondSeconds = (System.nanoTime() - t1) / 1e9;

      long t2 = System.nanoTime();
      try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(second)) {
        if (restored.get(key(restored, cells)) == null) {
          throw new IllegalStateException("the restored state lacks a value written before the checkpoint");
        }
      }
      double restoreSeconds = (System.nanoTime() - t2) / 1e9;

      Set<Object> seen = new HashSet<>();
      long firstBytes = bytes(first, seen);
      long firstNew = newBytes(first, Set.of(), backend.directory());
      long secondNew = newBytes(second, seen, null);
      System.out.printf(
          "| state | fill | 1st checkpoint | its files | of which copies (not hard links) | 2nd checkpoint (+1%%) | its files not in the 1st | restore |%n"
              + "|---|---:|---:|---:|---:|---:|---:|---:|%n"
              + "| %d MB | %.1f s | %.2f s | %d MB | %d MB | %.2f s | %d MB | %.2f s |%n",
          megabytes,
          fillSeconds,
          firstSeconds,
          firstBytes >> 20,
          firstNew >> 20,
          secondSeconds,
          secondNew >> 20,
          restoreSeconds);
    } finally {
      TemporaryDirectories.deleteRecursively(work);
    }
  }

  private static byte[] key(RocksDbStateBackend backend, long cell) {
    byte[] encoded = ByteBuffer.allocate(Long.BYTES).putLong(cell).array();
    return backend.keyPrefix((int) (cell % 128), encoded);
  }

  /** Bytes of the files under {@code dir}; remembers their inodes in {@code seen}. */
  private static long bytes(Path dir, Set<Object> seen) throws IOException {
    long total = 0;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (attributes.isRegularFile()) {
          total += attributes.size();
          seen.add(attributes.fileKey());
        }
      }
    }
    return total;
  }

  /**
   * Bytes of the files under {@code dir} that are neither in {@code seen} nor hard links to files
   * of {@code live} (the running database): what the checkpoint added on disk.
   */
  private static long newBytes(Path dir, Set<Object> seen, Path live) throws IOException {
    Set<Object> shared = new HashSet<>(seen);
    if (live != null) {
      bytes(live, shared);
    }
    long total = 0;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (attributes.isRegularFile() && !shared.contains(attributes.fileKey())) {
          total += attributes.size();
        }
      }
    }
    return total;
  }
}
