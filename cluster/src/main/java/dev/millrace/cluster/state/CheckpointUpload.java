package dev.millrace.cluster.state;

import dev.millrace.engine.checkpoint.CheckpointStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Sends one worker's checkpoints to the job's state topic, so that the worker can resume on a
 * machine that does not have them. Each file of a checkpoint's directory goes as chunks of at most
 * {@link #CHUNK_BYTES}; a file that is the same as one the previous checkpoint sent (a hard link to
 * the same immutable file, as RocksDB's SST files and spilled segments are: same file key and size)
 * is not sent again, its manifest entry naming the earlier key. Chunks no manifest names any more
 * get tombstones, so once the broker compacts the topic it holds about the live state. Everything
 * goes inside the transaction that commits the checkpoint.
 */
public final class CheckpointUpload {
  /** Under Kafka's default 1 MB record limit with room for the key and headers. */
  static final int CHUNK_BYTES = 512 * 1024;

  /** Where records go: the state topic's partition of this worker, inside its transaction. */
  public interface Sink {
    void send(String key, byte[] value);
  }

  private final String worker;

  /** The previous manifest sent, with each file's identity on disk then. */
  private StateManifest previous;

  private Map<String, Object> previousFileKeys = Map.of();

  /** What the last upload sent and kept, for the log and the benchmarks. */
  private long lastSentBytes;

  public CheckpointUpload(String worker) {
    this.worker = worker;
  }

  /**
   * The manifest, also kept in the checkpoint's own directory once sent (and once fetched), so a
   * worker resuming from its disk knows what the topic holds without reading it.
   */
  public static final String MANIFEST_FILE = "_state-manifest";

  /** The key of {@code worker}'s manifest record. */
  public static String manifestKey(String worker) {
    return worker + "/manifest";
  }

  /** Sends checkpoint {@code id}'s files from {@code directory}, then its manifest. */
  public StateManifest upload(long id, Path directory, Sink sink) {
    List<Path> files = filesOf(directory);
    Map<String, StateManifest.File> before = new HashMap<>();
    if (previous != null) {
      for (StateManifest.File file : previous.files()) {
        before.put(file.path(), file);
      }
    }
    List<StateManifest.File> entries = new ArrayList<>();
    Map<String, Object> fileKeys = new HashMap<>();
    long sent = 0;
    for (Path file : files) {
      String path = directory.relativize(file).toString().replace('\\', '/');
      if (Files.isDirectory(file)) {
        entries.add(StateManifest.File.directory(path));
        continue;
      }
      BasicFileAttributes attributes = attributes(file);
      Object fileKey = attributes.fileKey();
      long size = attributes.size();
      StateManifest.File earlier = before.get(path);
      if (earlier != null
          && fileKey != null
          && fileKey.equals(previousFileKeys.get(path))
          && earlier.size() == size) {
        entries.add(earlier);
      } else {
        StateManifest.File entry =
            new StateManifest.File(path, worker + "/" + id + "/" + path, size, chunks(size));
        sendChunks(file, entry, sink);
        sent += size;
        entries.add(entry);
      }
      if (fileKey != null) {
        fileKeys.put(path, fileKey);
      }
    }
    StateManifest manifest = new StateManifest(id, entries);
    sink.send(manifestKey(worker), manifest.toBytes());
    writeManifest(directory, manifest);
    if (previous != null) {
      Set<String> kept = new HashSet<>();
      for (StateManifest.File entry : entries) {
        kept.add(entry.key());
      }
      for (StateManifest.File old : previous.files()) {
        if (!kept.contains(old.key())) {
          for (int c = 0; c < old.chunks(); c++) {
            sink.send(old.chunkKey(c), null);
          }
        }
      }
    }
    previous = manifest;
    previousFileKeys = fileKeys;
    lastSentBytes = sent;
    return manifest;
  }

  /**
   * The worker resumes from the checkpoint in {@code directory} (found on its disk, or fetched):
   * the next upload sends only what changed since, and tombstones what that checkpoint named and
   * the next does not. A checkpoint without a manifest (taken before its worker sent state) is sent
   * whole.
   */
  public void resumedFrom(Path directory) {
    Path file = directory.resolve(MANIFEST_FILE);
    if (!Files.isRegularFile(file)) {
      return;
    }
    try {
      previous = StateManifest.fromBytes(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    Map<String, Object> fileKeys = new HashMap<>();
    for (StateManifest.File entry : previous.files()) {
      Path path = directory.resolve(entry.path());
      if (Files.isRegularFile(path)) {
        Object fileKey = attributes(path).fileKey();
        if (fileKey != null) {
          fileKeys.put(entry.path(), fileKey);
        }
      }
    }
    previousFileKeys = fileKeys;
  }

  static void writeManifest(Path directory, StateManifest manifest) {
    try {
      Files.write(directory.resolve(MANIFEST_FILE), manifest.toBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the state manifest into " + directory, e);
    }
  }

  public long lastSentBytes() {
    return lastSentBytes;
  }

  private static int chunks(long size) {
    return (int) Math.max(1, (size + CHUNK_BYTES - 1) / CHUNK_BYTES);
  }

  private static void sendChunks(Path file, StateManifest.File entry, Sink sink) {
    try (InputStream in = Files.newInputStream(file)) {
      for (int c = 0; c < entry.chunks(); c++) {
        sink.send(entry.chunkKey(c), in.readNBytes(CHUNK_BYTES));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint file " + file, e);
    }
  }

  private static BasicFileAttributes attributes(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint file " + file, e);
    }
  }

  /**
   * Every regular file and empty directory under {@code directory} (a state backend may look for
   * one), but the state manifest; the checkpoint's metadata last, as it is written on disk.
   */
  private static List<Path> filesOf(Path directory) {
    try (Stream<Path> walk = Files.walk(directory)) {
      List<Path> files =
          new ArrayList<>(
              walk.filter(f -> Files.isRegularFile(f) || isEmptyDirectory(f))
                  .filter(f -> !directory.relativize(f).toString().equals(MANIFEST_FILE))
                  .sorted()
                  .toList());
      files.sort((a, b) -> Boolean.compare(isMetadata(directory, a), isMetadata(directory, b)));
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoint " + directory, e);
    }
  }

  private static boolean isEmptyDirectory(Path path) {
    if (!Files.isDirectory(path)) {
      return false;
    }
    try (Stream<Path> children = Files.list(path)) {
      return children.findAny().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + path, e);
    }
  }

  private static boolean isMetadata(Path directory, Path file) {
    return directory.relativize(file).toString().equals(CheckpointStorage.METADATA);
  }
}
