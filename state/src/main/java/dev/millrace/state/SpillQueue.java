package dev.millrace.state;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A first-in first-out queue of byte records in temporary files: appended, read back once in
 * order, then deleted. For data that only waits, such as main input held until a side input is
 * ready. RocksDB would index, flush and compact every record only to have it read back in
 * order; a file written and read sequentially does neither. The directory is made at the first
 * append and removed at {@link #close()}, or by the shutdown hook of temporary directories.
 */
public final class SpillQueue implements AutoCloseable {
  private static final int BUFFER_BYTES = 1 << 16;

  /** Receives records taken out of the queue. */
  public interface RecordVisitor {
    void visit(byte[] record) throws Exception;
  }

  private Path directory;
  private DataOutputStream writer;
  private Path writing;
  private long segments;
  private long size;
  private boolean closed;

  /** Number of records appended and not yet drained. */
  public long size() {
    return size;
  }

  public void append(byte[] record) {
    checkOpen();
    try {
      if (writer == null) {
        if (directory == null) {
          directory = TemporaryDirectories.create("millrace-spill-");
        }
        writing = directory.resolve("segment-" + segments++);
        writer = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(writing), BUFFER_BYTES));
      }
      writer.writeInt(record.length);
      writer.write(record);
      size++;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write to the spill file " + writing, e);
    }
  }

  /**
   * Takes out every record appended so far, in order, and hands each to {@code visitor}. Records
   * appended while it runs wait for the next drain.
   */
  public void drain(RecordVisitor visitor) throws Exception {
    checkOpen();
    if (writer == null) {
      return;
    }
    writer.close();
    writer = null;
    Path reading = writing;
    long records = size;
    size = 0;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(reading), BUFFER_BYTES))) {
      for (long i = 0; i < records; i++) {
        byte[] record = new byte[in.readInt()];
        in.readFully(record);
        visitor.visit(record);
      }
      if (in.read() != -1) {
        throw new IllegalStateException("spill file " + reading + " holds more than its " + records + " records");
      }
    } catch (EOFException e) {
      throw new IllegalStateException("spill file " + reading + " ends before its " + records + " records", e);
    } finally {
      Files.deleteIfExists(reading);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("spill queue is closed");
    }
  }

  /** Drops every record and removes the directory. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (writer != null) {
        writer.close();
      }
      if (directory != null) {
        TemporaryDirectories.deleteRecursively(directory);
        TemporaryDirectories.unregister(directory);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot remove the spill directory " + directory, e);
    }
  }
}
