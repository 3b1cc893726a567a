package dev.millrace.plan;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One operator's part of a checkpoint, collected in memory; the files it asks a directory for go
 * under {@code directory}. The engine writes each operator's snapshot through one, and tests use
 * the same class to snapshot an operator and restore a fresh one from {@link #reader()}.
 */
public final class InMemorySnapshot implements SnapshotWriter {
  private final long checkpointId;
  private final Path directory;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final DataOutputStream data = new DataOutputStream(bytes);

  /** {@code directory} may be null for an operator that keeps no files. */
  public InMemorySnapshot(long checkpointId, Path directory) {
    this.checkpointId = checkpointId;
    this.directory = directory;
  }

  @Override
  public long checkpointId() {
    return checkpointId;
  }

  @Override
  public DataOutputStream data() {
    return data;
  }

  @Override
  public Path directory(String name) {
    if (directory == null) {
      throw new IllegalStateException(
          "this snapshot keeps no files, and " + name + " asked for some");
    }
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create " + directory, e);
    }
    return directory.resolve(name);
  }

  /** What was written to {@link #data()}. */
  public byte[] toByteArray() {
    try {
      data.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Reads back what was written so far, with the same files. */
  public SnapshotReader reader() {
    return reader(checkpointId, directory, toByteArray());
  }

  /** Reads {@code bytes} as an operator's stream, its files under {@code directory}. */
  public static SnapshotReader reader(long checkpointId, Path directory, byte[] bytes) {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    return new SnapshotReader() {
      @Override
      public long checkpointId() {
        return checkpointId;
      }

      @Override
      public DataInputStream data() {
        return in;
      }

      @Override
      public Path directory(String name) {
        if (directory == null) {
          throw new IllegalStateException(
              "this snapshot keeps no files, and " + name + " asked for some");
        }
        return directory.resolve(name);
      }
    };
  }
}
