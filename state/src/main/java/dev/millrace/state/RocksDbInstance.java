package dev.millrace.state;

import dev.millrace.engine.checkpoint.Directories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * The files and native objects of one RocksDB: its directory (temporary, or kept), the layout
 * version it records and checks, opening it lazily, checkpoints to a directory and restores from
 * one, and closing every native object in reverse order of creation. What is read and written, and
 * how, is {@link RocksDbStateBackend}'s.
 */
final class RocksDbInstance implements AutoCloseable {
  // The version lives in its own column family so that it can never fall inside a key-group range.
  private static final byte[] META_COLUMN_FAMILY = "millrace-meta".getBytes(StandardCharsets.UTF_8);
  private static final byte[] LAYOUT_VERSION_KEY =
      "layout-version".getBytes(StandardCharsets.UTF_8);

  static {
    // Options and batches are created before any RocksDB, whose class would otherwise load it.
    RocksDB.loadLibrary();
  }

  private final Path directory;
  private final boolean deleteOnClose;
  private final int layoutVersion;
  // Native objects, closed in reverse order of creation.
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final WriteOptions writeOptions;
  // Null until the first write of a temporary instance: most keyed subtasks of a small job never
  // see a key, and opening a RocksDB costs milliseconds.
  private @Nullable RocksDB db;
  private boolean closed;

  private RocksDbInstance(Path directory, boolean deleteOnClose, int layoutVersion) {
    this.directory = directory;
    this.deleteOnClose = deleteOnClose;
    this.layoutVersion = layoutVersion;
    this.writeOptions = track(new WriteOptions().setDisableWAL(true));
  }

  /**
   * An instance in a fresh temporary directory that is deleted on {@link #close()}. The database is
   * only opened by the first write; until then every read finds nothing.
   */
  static RocksDbInstance temporary() {
    Path dir;
    try {
      dir = TemporaryDirectories.create("millrace-state-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary state directory", e);
    }
    try {
      return new RocksDbInstance(dir, true, RocksDbStateBackend.LAYOUT_VERSION);
    } catch (RuntimeException | Error e) {
      // Nobody will ever close this instance, so nobody else would remove the directory.
      try {
        Directories.deleteRecursively(dir);
        TemporaryDirectories.unregister(dir);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /**
   * A temporary instance (deleted on close) that starts with what {@link #checkpointTo} wrote to
   * {@code checkpoint}. The checkpoint is left as it was: immutable SST files are hard linked
   * (copied where links are not possible), the rest is copied.
   */
  static RocksDbInstance restoreTemporary(Path checkpoint) {
    if (!Files.isDirectory(checkpoint)) {
      throw new IllegalStateException("The state checkpoint " + checkpoint + " is missing");
    }
    RocksDbInstance instance = temporary();
    try (Stream<Path> files = Files.list(checkpoint)) {
      boolean any = false;
      for (Path file : (Iterable<Path>) files::iterator) {
        if (file.getFileName().toString().equals(HeldChangesFile.NAME)) {
          continue; // not RocksDB's: the backend applies it once the database is open
        }
        Path target = instance.directory.resolve(file.getFileName().toString());
        if (file.getFileName().toString().endsWith(".sst")) {
          try {
            Files.createLink(target, file);
          } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, target);
          }
        } else {
          Files.copy(file, target);
        }
        any = true;
      }
      if (any) {
        // Checks the layout version now, not at the first read.
        instance.database();
      }
      return instance;
    } catch (IOException e) {
      instance.close();
      throw new UncheckedIOException("Cannot restore RocksDB state from " + checkpoint, e);
    } catch (RuntimeException e) {
      instance.close();
      throw e;
    }
  }

  /**
   * Opens (or creates) an instance in {@code directory}, kept on close, checking its layout version
   * now.
   */
  static RocksDbInstance open(Path directory, int layoutVersion) {
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create state directory " + directory, e);
    }
    RocksDbInstance instance = new RocksDbInstance(directory, false, layoutVersion);
    // A kept directory may hold another version's data: fail at open, not at the first write.
    instance.database();
    return instance;
  }

  Path directory() {
    return directory;
  }

  WriteOptions writeOptions() {
    return writeOptions;
  }

  /**
   * The database if it was opened (by a write, or a restore), else null: every read finds nothing.
   */
  @Nullable RocksDB ifOpen() {
    checkOpen();
    return db;
  }

  /** A numeric property of the data column family ({@code rocksdb.*}); 0 before it opened. */
  long longProperty(String name) {
    RocksDB open = ifOpen();
    if (open == null) {
      return 0;
    }
    try {
      return open.getLongProperty(name);
    } catch (RocksDBException e) {
      return 0;
    }
  }

  /** The database, opened (and its layout version checked or recorded) on first use. */
  RocksDB database() {
    checkOpen();
    if (db != null) {
      return db;
    }
    try {
      DBOptions dbOptions =
          track(
              new DBOptions()
                  .setCreateIfMissing(true)
                  .setCreateMissingColumnFamilies(true)
                  // A temporary DB is deleted right after close; flushing it would be wasted I/O.
                  .setAvoidFlushDuringShutdown(deleteOnClose));
      dbOptions.setWriteBufferManager(NativeMemory.WRITE_BUFFERS);
      ColumnFamilyOptions cfOptions =
          track(
              new ColumnFamilyOptions()
                  .setTableFormatConfig(
                      new BlockBasedTableConfig().setBlockCache(NativeMemory.BLOCK_CACHE)));
      List<ColumnFamilyDescriptor> descriptors =
          List.of(
              new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
              new ColumnFamilyDescriptor(META_COLUMN_FAMILY, cfOptions));
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      RocksDB opened = RocksDB.open(dbOptions, directory.toString(), descriptors, handles);
      // Column family handles must be closed before their DB; the deque pops newest first.
      resources.push(opened);
      handles.forEach(resources::push);
      this.db = opened;
      checkOrRecordLayoutVersion(handles.get(0), handles.get(1), layoutVersion, !deleteOnClose);
      return opened;
    } catch (RocksDBException e) {
      throw closeAfterFailure(
          new IllegalStateException("Cannot open RocksDB state in " + directory, e));
    } catch (RuntimeException e) {
      throw closeAfterFailure(e);
    }
  }

  private void checkOrRecordLayoutVersion(
      ColumnFamilyHandle data, ColumnFamilyHandle meta, int layoutVersion, boolean durable)
      throws RocksDBException {
    byte[] stored = db.get(meta, LAYOUT_VERSION_KEY);
    if (stored != null) {
      int storedVersion = ByteBuffer.wrap(stored).getInt();
      if (storedVersion != layoutVersion) {
        throw new IllegalStateException(
            "State in "
                + directory
                + " uses layout version "
                + storedVersion
                + " but this build reads layout version "
                + layoutVersion);
      }
      return;
    }
    try (RocksIterator it = db.newIterator(data)) {
      it.seekToFirst();
      if (it.isValid()) {
        throw new IllegalStateException(
            "State in "
                + directory
                + " has data but no layout version; this build reads layout version "
                + layoutVersion);
      }
    }
    byte[] version = ByteBuffer.allocate(Integer.BYTES).putInt(layoutVersion).array();
    db.put(meta, writeOptions, LAYOUT_VERSION_KEY, version);
    if (!durable) {
      // A temporary DB dies with its job; a flush would only make every job start slower (and it
      // waits behind other DBs' flushes, which share one background thread).
      return;
    }
    // Without a WAL the version would only live in the memtable; flush it so a crash right after
    // opening cannot leave data behind without its version.
    try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, meta);
    }
  }

  /**
   * Writes everything committed so far to {@code target}, which must not exist yet, as a RocksDB
   * checkpoint (the memtable is flushed first, SST files are hard links, so it costs little more
   * than the flush). Staged writes are not in it. A backend never written to leaves an empty
   * directory, which restores to an empty backend.
   */
  void checkpointTo(Path target) {
    checkOpen();
    try {
      if (db == null) {
        Files.createDirectories(target);
        return;
      }
      try (Checkpoint checkpoint = Checkpoint.create(db)) {
        checkpoint.createCheckpoint(target.toString());
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException(
          "Cannot checkpoint the RocksDB state in " + directory + " to " + target, e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create " + target, e);
    }
  }

  /** Closes {@code resource} with this instance, before everything created earlier. */
  <T extends AutoCloseable> T track(T resource) {
    resources.push(resource);
    return resource;
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("RocksDB state backend is closed");
    }
  }

  private RuntimeException closeAfterFailure(RuntimeException failure) {
    try {
      closeAll();
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
    return failure;
  }

  /** Closes every native object, newest first, and deletes a temporary directory. */
  @Override
  public void close() {
    if (!closed) {
      closeAll();
    }
  }

  private void closeAll() {
    closed = true;
    RuntimeException failure = null;
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("Failed to close RocksDB state", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (deleteOnClose) {
      try {
        Directories.deleteRecursively(directory);
        TemporaryDirectories.unregister(directory);
      } catch (IOException e) {
        if (failure == null) {
          failure = new UncheckedIOException("Cannot delete " + directory, e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
