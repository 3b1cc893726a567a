package dev.millrace.state;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The changes a backend held back at a checkpoint, in a file beside the database's checkpoint
 * files. A checkpoint that pushed them into RocksDB (an indexed batch insert per bag element and
 * timer, a memtable flushed with all of them) cost more than the rest of the checkpoint, and left
 * the state it pushed to be read back through RocksDB afterwards; written here they stay held, and
 * only a restore pays for them, once.
 *
 * <p>Layout: a header (magic, format version), then records (an operation byte, the key, and for a
 * put or an append the value, each length-prefixed), then an end byte and the record count, so a
 * file cut short is refused instead of restoring part of the state. A checkpoint without the file
 * (nothing was held, or it was taken before the file existed) restores from the database alone.
 */
final class HeldChangesFile {
  /** The file's name in a checkpoint directory; RocksDB's own files never take it. */
  static final String NAME = "millrace-held-changes";

  private static final String MAGIC = "millrace held changes";
  private static final int FORMAT = 1;
  private static final byte END = 0;
  private static final byte PUT = 1;
  private static final byte DELETE = 2;
  private static final byte APPEND = 3;

  private HeldChangesFile() {}

  /**
   * Writes what {@code describe} gives into {@code directory}, durably, unless it gives nothing;
   * returns the number of changes written.
   */
  static long write(Path directory, Consumer<HeldChanges> describe) {
    Path file = directory.resolve(NAME);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      Writer writer = new Writer(Channels.newOutputStream(channel));
      describe.accept(writer);
      if (writer.count == 0) {
        writer.out.close();
        Files.delete(file);
        return 0;
      }
      writer.out.writeByte(END);
      writer.out.writeLong(writer.count);
      writer.out.flush();
      channel.force(true);
      return writer.count;
    } catch (UncheckedIOException e) {
      throw new UncheckedIOException(
          "Cannot write the held state changes to " + file, e.getCause());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the held state changes to " + file, e);
    }
  }

  /**
   * Applies the changes of the file in {@code directory}, if there is one, to {@code target};
   * returns how many there were.
   */
  static long replay(Path directory, HeldChanges target) {
    Path file = directory.resolve(NAME);
    if (!Files.isRegularFile(file)) {
      return 0;
    }
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      readHeader(in, file);
      long count = 0;
      while (true) {
        byte op = in.readByte();
        if (op == END) {
          long written = in.readLong();
          if (written != count) {
            throw corrupt(file, "it says it holds " + written + " changes, but has " + count);
          }
          return count;
        }
        byte[] key = bytes(in);
        switch (op) {
          case PUT:
            target.put(key, bytes(in));
            break;
          case DELETE:
            target.delete(key);
            break;
          case APPEND:
            target.append(key, bytes(in));
            break;
          default:
            throw corrupt(file, "it holds an unknown change " + op + " after " + count);
        }
        count++;
      }
    } catch (EOFException e) {
      throw corrupt(file, "it ends before its last change");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the held state changes in " + file, e);
    }
  }

  private static void readHeader(DataInputStream in, Path file) throws IOException {
    byte[] magic = new byte[MAGIC.length()];
    in.readFully(magic);
    if (!Arrays.equals(magic, MAGIC.getBytes(StandardCharsets.US_ASCII))) {
      throw corrupt(file, "it does not start as this file does");
    }
    int format = in.readInt();
    if (format != FORMAT) {
      throw new IllegalStateException(
          "The checkpoint file "
              + file
              + " holds state changes in format "
              + format
              + ", but this build reads format "
              + FORMAT);
    }
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      throw new EOFException();
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  private static IllegalStateException corrupt(Path file, String why) {
    return new IllegalStateException(
        "The checkpoint file " + file + " is damaged (" + why + "); restore an older checkpoint");
  }

  private static final class Writer implements HeldChanges {
    final DataOutputStream out;
    long count;

    Writer(OutputStream channel) throws IOException {
      this.out = new DataOutputStream(new BufferedOutputStream(channel, 1 << 16));
      out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
      out.writeInt(FORMAT);
    }

    @Override
    public void put(byte[] key, byte[] value) {
      record(PUT, key, value);
    }

    @Override
    public void delete(byte[] key) {
      record(DELETE, key, null);
    }

    @Override
    public void append(byte[] group, byte[] value) {
      record(APPEND, group, value);
    }

    private void record(byte op, byte[] key, byte @Nullable [] value) {
      try {
        out.writeByte(op);
        out.writeInt(key.length);
        out.write(key);
        if (value != null) {
          out.writeInt(value.length);
          out.write(value);
        }
        count++;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
