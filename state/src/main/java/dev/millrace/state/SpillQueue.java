package dev.millrace.state;

import dev.millrace.engine.checkpoint.Directories;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A first-in first-out queue of byte records in temporary files: appended, read back once in order,
 * then deleted. For data that only waits, such as main input held until a side input is ready.
 * RocksDB would index, flush and compact every record only to have it read back in order; a file
 * written and read sequentially does neither. The directory is made at the first append and removed
 * at {@link #close()}, or by the shutdown hook of temporary directories.
 *
 * <p>Records go to one segment file until a drain or a snapshot closes it; a closed segment never
 * changes again, so a checkpoint takes it by a hard link ({@link #snapshotTo}), not a copy.
 */
public final class SpillQueue implements AutoCloseable {
  private static final int BUFFER_BYTES = 1 << 16;
  private static final String MANIFEST = "segments";

  /** Receives records taken out of the queue. */
  public interface RecordVisitor {
    void visit(byte[] record) throws Exception;
  }

  /** A closed segment file and the records in it. */
  private record Segment(Path file, long records) {}

  private Path directory;
  private final ArrayDeque<Segment> closedSegments = new ArrayDeque<>();
  private DataOutputStream writer;
  private Path writing;
  private long writingRecords;
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
        writing = newSegmentPath();
        writer =
            new DataOutputStream(
                new BufferedOutputStream(Files.newOutputStream(writing), BUFFER_BYTES));
        writingRecords = 0;
      }
      writer.writeInt(record.length);
      writer.write(record);
      writingRecords++;
      size++;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write to the spill file " + writing, e);
    }
  }

  private Path newSegmentPath() throws IOException {
    if (directory == null) {
      directory = TemporaryDirectories.create("millrace-spill-");
    }
    return directory.resolve("segment-" + segments++);
  }

  /** Ends the segment being written: the next append starts a new one. */
  private void closeWriting() throws IOException {
    if (writer != null) {
      writer.close();
      writer = null;
      closedSegments.addLast(new Segment(writing, writingRecords));
    }
  }

  /**
   * Takes out every record appended so far, in order, and hands each to {@code visitor}. Records
   * appended while it runs wait for the next drain.
   */
  public void drain(RecordVisitor visitor) throws Exception {
    checkOpen();
    closeWriting();
    List<Segment> taken = new ArrayList<>(closedSegments);
    closedSegments.clear();
    for (Segment segment : taken) {
      size -= segment.records();
    }
    for (Segment segment : taken) {
      try (DataInputStream in =
          new DataInputStream(
              new BufferedInputStream(Files.newInputStream(segment.file()), BUFFER_BYTES))) {
        for (long i = 0; i < segment.records(); i++) {
          byte[] record = new byte[in.readInt()];
          in.readFully(record);
          visitor.visit(record);
        }
        if (in.read() != -1) {
          throw new IllegalStateException(
              "spill file "
                  + segment.file()
                  + " holds more than its "
                  + segment.records()
                  + " records");
        }
      } catch (EOFException e) {
        throw new IllegalStateException(
            "spill file " + segment.file() + " ends before its " + segment.records() + " records",
            e);
      } finally {
        Files.deleteIfExists(segment.file());
      }
    }
  }

  /**
   * Puts every record not yet drained into {@code target}, which does not exist yet (its parent
   * does), without taking them out: the segments are hard-linked (copied where the file system
   * cannot link), and a manifest lists them. The queue goes on as before.
   */
  public void snapshotTo(Path target) throws IOException {
    checkOpen();
    closeWriting();
    Files.createDirectory(target);
    List<String> manifest = new ArrayList<>();
    int i = 0;
    for (Segment segment : closedSegments) {
      String name = "segment-" + i++;
      linkOrCopy(segment.file(), target.resolve(name));
      manifest.add(name + " " + segment.records());
    }
    Files.write(target.resolve(MANIFEST), manifest, StandardCharsets.UTF_8);
  }

  /**
   * Appends the records {@link #snapshotTo} put in {@code source}, in order, after those already
   * here. {@code source} is left as it is (its files are linked, or copied, not moved).
   */
  public void restoreFrom(Path source) throws IOException {
    checkOpen();
    closeWriting();
    for (String line : Files.readAllLines(source.resolve(MANIFEST), StandardCharsets.UTF_8)) {
      String[] fields = line.split(" ");
      if (fields.length != 2) {
        throw new IllegalStateException(
            "the spill snapshot " + source + " has a malformed manifest line: " + line);
      }
      long records = Long.parseLong(fields[1]);
      Path file = newSegmentPath();
      linkOrCopy(source.resolve(fields[0]), file);
      closedSegments.addLast(new Segment(file, records));
      size += records;
    }
  }

  private static void linkOrCopy(Path existing, Path link) throws IOException {
    try {
      Files.createLink(link, existing);
    } catch (UnsupportedOperationException | IOException e) {
      // Another file system, or none that links: a copy holds the same records.
      Files.copy(existing, link);
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
        Directories.deleteRecursively(directory);
        TemporaryDirectories.unregister(directory);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot remove the spill directory " + directory, e);
    }
  }
}
