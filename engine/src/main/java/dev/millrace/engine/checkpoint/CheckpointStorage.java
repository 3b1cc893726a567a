package dev.millrace.engine.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoints of one job on disk: {@code chk-<id>/} per checkpoint, one directory per subtask
 * in it, and {@code _metadata}, moved in atomically once every subtask's files are written. A
 * directory without metadata is a checkpoint that never completed (the process died while it was
 * being taken); it is never read, and it is removed with the older ones.
 */
public final class CheckpointStorage {
  private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");

  /** The file whose presence says a checkpoint completed. */
  public static final String METADATA = "_metadata";

  private final Path root;
  private final int toKeep;

  public CheckpointStorage(Path root, int toKeep) {
    this.root = root;
    this.toKeep = toKeep;
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the checkpoint directory " + root, e);
    }
  }

  /**
   * The checkpoint with the highest id that completed, if any. Only its metadata is read, newest
   * first: retention removes older checkpoints only, so the one found stays while a job runs.
   */
  public Optional<CompletedCheckpoint> latestCompleted() {
    List<Long> ids = ids();
    for (int i = ids.size() - 1; i >= 0; i--) {
      Path metadata = directoryOf(ids.get(i)).resolve(METADATA);
      if (Files.isRegularFile(metadata)) {
        return Optional.of(
            new CompletedCheckpoint(
                directoryOf(ids.get(i)),
                CheckpointMetadata.fromText(read(metadata), metadata.toString())));
      }
    }
    return Optional.empty();
  }

  /** Checkpoint {@code id}, which must have completed here and still be kept. */
  public CompletedCheckpoint completed(long id) {
    Path metadata = directoryOf(id).resolve(METADATA);
    if (!Files.isRegularFile(metadata)) {
      throw new IllegalStateException(
          "checkpoint "
              + id
              + " is not in "
              + root
              + ": a process resuming its share of a spread job needs the checkpoint directory"
              + " of its last run");
    }
    return new CompletedCheckpoint(
        directoryOf(id), CheckpointMetadata.fromText(read(metadata), metadata.toString()));
  }

  /** Whether checkpoint {@code id} completed here and is still kept. */
  public boolean hasCompleted(long id) {
    return Files.isRegularFile(directoryOf(id).resolve(METADATA));
  }

  /**
   * Checkpoint {@code id} from elsewhere: {@code writer} fills an empty directory with its files,
   * metadata included, and says whether it had them; only a complete one takes the checkpoint's
   * place (moved in at once), so a process dying half way leaves nothing that could be resumed.
   */
  public boolean receive(long id, Predicate<Path> writer) {
    Path target = directoryOf(id);
    Path receiving = root.resolve(target.getFileName() + ".receiving");
    try {
      Directories.deleteRecursively(receiving);
      Files.createDirectories(receiving);
      if (!writer.test(receiving) || !Files.isRegularFile(receiving.resolve(METADATA))) {
        Directories.deleteRecursively(receiving);
        return false;
      }
      Directories.deleteRecursively(target);
      Files.move(receiving, target, StandardCopyOption.ATOMIC_MOVE);
      sync(root);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot receive checkpoint " + id + " into " + target, e);
    }
  }

  /** An id above that of every checkpoint ever started here, complete or not. */
  public long nextId() {
    List<Long> ids = ids();
    return ids.isEmpty() ? 1 : ids.get(ids.size() - 1) + 1;
  }

  /** Creates the (empty) directory of a new checkpoint. */
  public Path begin(long id) {
    Path dir = directoryOf(id);
    try {
      Directories.deleteRecursively(dir);
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the checkpoint directory " + dir, e);
    }
    return dir;
  }

  /**
   * Marks checkpoint {@code id} complete (its files must all be written and synced), then removes
   * every checkpoint but the {@code toKeep} latest completed ones.
   */
  public void complete(long id, String planFingerprint) {
    Path dir = directoryOf(id);
    CheckpointMetadata metadata =
        new CheckpointMetadata(
            CheckpointMetadata.FORMAT_VERSION, id, planFingerprint, System.currentTimeMillis());
    Path written = dir.resolve(METADATA + ".inprogress");
    try {
      Files.writeString(written, metadata.toText(), StandardCharsets.UTF_8);
      sync(written);
      Files.move(written, dir.resolve(METADATA), StandardCopyOption.ATOMIC_MOVE);
      sync(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot complete checkpoint " + dir, e);
    }
    removeAllBut(toKeep);
  }

  /** The bytes checkpoint {@code id}'s files take, 0 if it is gone. */
  public long sizeOf(long id) {
    Path dir = directoryOf(id);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              file -> {
                try {
                  return Files.size(file);
                } catch (IOException e) {
                  // Removed while counted: it no longer takes room.
                  return 0;
                }
              })
          .sum();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  /** Removes every checkpoint of the job: it ended and there is nothing to resume. */
  public void removeAll() {
    try {
      Directories.deleteRecursively(root);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot remove the checkpoints in " + root, e);
    }
  }

  private void removeAllBut(int completedToKeep) {
    List<Long> ids = ids();
    int kept = 0;
    for (int i = ids.size() - 1; i >= 0; i--) {
      Path dir = directoryOf(ids.get(i));
      boolean complete = Files.isRegularFile(dir.resolve(METADATA));
      if (complete && kept < completedToKeep) {
        kept++;
      } else if (kept > 0) {
        // Older than a kept completed checkpoint: superseded, or one that never completed.
        try {
          Directories.deleteRecursively(dir);
        } catch (IOException e) {
          throw new UncheckedIOException("Cannot remove the old checkpoint " + dir, e);
        }
      }
    }
  }

  /** Syncs a file or directory to disk, so a completed checkpoint survives the machine, too. */
  public static void sync(Path path) throws IOException {
    try (FileChannel channel =
        Files.isDirectory(path)
            ? FileChannel.open(path, StandardOpenOption.READ)
            : FileChannel.open(path, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  private Path directoryOf(long id) {
    return root.resolve(String.format("chk-%06d", id));
  }

  private List<Long> ids() {
    List<Long> ids = new ArrayList<>();
    try (Stream<Path> children = Files.list(root)) {
      for (Path child : (Iterable<Path>) children::iterator) {
        Matcher m = CHECKPOINT.matcher(child.getFileName().toString());
        if (m.matches() && Files.isDirectory(child)) {
          ids.add(Long.parseLong(m.group(1)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list the checkpoints in " + root, e);
    }
    ids.sort(null);
    return ids;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }

  /** A checkpoint that completed: its directory and metadata. */
  public record CompletedCheckpoint(Path directory, CheckpointMetadata metadata) {
    public long id() {
      return metadata.checkpointId();
    }
  }
}
