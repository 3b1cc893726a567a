package dev.millrace.benchmarks;

import dev.millrace.engine.checkpoint.Directories;
import dev.millrace.state.RocksDbStateBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a checkpoint of a large keyed state costs: one RocksDB backend (one keyed operator of one
 * subtask) filled with {@code --megabytes} of incompressible values in 1 KB cells, committed as
 * bundles would, then checkpointed as the engine does ({@code RocksDbStateBackend.checkpointTo}).
 * Prints the time of the first checkpoint and the size of its files (most are hard links to the
 * live database's SST files, which cost no disk), then of a second one after 1% more writes and the
 * size of its files the first did not have (what an incremental copy elsewhere would move), and the
 * time a restore takes. A second row spreads the same state over several databases (one per keyed
 * operator of a subtask, as the engine keeps them), checkpointed in turn: what one database per
 * operator costs against one shared database.
 *
 * <p>Run: {@code mvn -B -q -pl benchmarks exec:exec -Dbench.args="--state-checkpoint-mb=1024
 * --state-checkpoint-dbs=8"}
 */
public final class StateCheckpointCost {
  private static final int VALUE_BYTES = 1024;
  private static final int CELLS_PER_BUNDLE = 10_000;

  private StateCheckpointCost() {}

  public static void main(String[] args) throws Exception {
    long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 1024;
    int databases = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    System.out.printf(
        "| state | databases | fill | 1st checkpoint | its files | of which copies (not hard links) | 2nd checkpoint (+1%%) | its files not in the 1st | restore |%n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|---:|%n");
    measure(megabytes, 1);
    if (databases > 1) {
      measure(megabytes, databases);
    }
  }

  /**
   * One row: {@code megabytes} of state spread over {@code databases} backends, each checkpointed
   * in turn, as a subtask does with one RocksDB per keyed operator.
   */
  private static void measure(long megabytes, int databases) throws Exception {
    long cells = megabytes * 1024 * 1024 / VALUE_BYTES / databases;
    Path work = Files.createTempDirectory("millrace-checkpoint-cost-");
    List<RocksDbStateBackend> backends = new ArrayList<>();
    try {
      for (int db = 0; db < databases; db++) {
        backends.add(RocksDbStateBackend.openTemporary());
      }
      Random random = new Random(42);
      byte[] value = new byte[VALUE_BYTES];
      long start = System.nanoTime();
      for (RocksDbStateBackend backend : backends) {
        fill(backend, 0, cells, random, value);
      }
      double fillSeconds = (System.nanoTime() - start) / 1e9;

      Files.createDirectories(work.resolve("chk-1"));
      Files.createDirectories(work.resolve("chk-2"));
      long t0 = System.nanoTime();
      for (int db = 0; db < databases; db++) {
        backends.get(db).checkpointTo(work.resolve("chk-1").resolve("op" + db));
      }
      double firstSeconds = (System.nanoTime() - t0) / 1e9;

      for (RocksDbStateBackend backend : backends) {
        fill(backend, cells, cells / 100, random, value);
      }
      long t1 = System.nanoTime();
      for (int db = 0; db < databases; db++) {
        backends.get(db).checkpointTo(work.resolve("chk-2").resolve("op" + db));
      }
      double secondSeconds = (System.nanoTime() - t1) / 1e9;

      long t2 = System.nanoTime();
      for (int db = 0; db < databases; db++) {
        try (RocksDbStateBackend restored =
            RocksDbStateBackend.restoreTemporary(work.resolve("chk-2").resolve("op" + db))) {
          if (restored.get(key(restored, cells)) == null) {
            throw new IllegalStateException(
                "the restored state lacks a value written before the checkpoint");
          }
        }
      }
      double restoreSeconds = (System.nanoTime() - t2) / 1e9;

      Set<Object> seen = new HashSet<>();
      long firstBytes = bytes(work.resolve("chk-1"), seen);
      Set<Object> live = new HashSet<>();
      for (RocksDbStateBackend backend : backends) {
        bytes(backend.directory(), live);
      }
      long firstNew = newBytes(work.resolve("chk-1"), live);
      long secondNew = newBytes(work.resolve("chk-2"), seen);
      System.out.printf(
          "| %d MB | %d | %.1f s | %.2f s | %d MB | %d MB | %.2f s | %d MB | %.2f s |%n",
          megabytes,
          databases,
          fillSeconds,
          firstSeconds,
          firstBytes >> 20,
          firstNew >> 20,
          secondSeconds,
          secondNew >> 20,
          restoreSeconds);
    } finally {
      for (RocksDbStateBackend backend : backends) {
        backend.close();
      }
      Directories.deleteRecursively(work);
    }
  }

  /** Writes {@code count} cells from {@code first} on, committed in bundles. */
  private static void fill(
      RocksDbStateBackend backend, long first, long count, Random random, byte[] value) {
    for (long cell = first; cell < first + count; cell++) {
      random.nextBytes(value);
      backend.put(key(backend, cell), value.clone());
      if (cell % CELLS_PER_BUNDLE == CELLS_PER_BUNDLE - 1) {
        backend.commit();
      }
    }
    backend.commit();
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

  /** Bytes of the files under {@code dir} that are not in {@code shared}: what it added on disk. */
  private static long newBytes(Path dir, Set<Object> shared) throws IOException {
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
