package dev.millrace.engine;

import dev.millrace.engine.checkpoint.CheckpointStorage;
import dev.millrace.plan.SnapshotWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One subtask's part of a checkpoint: the engine's own state of the subtask (the watermarks it has
 * seen and sent on, which of its sources are done, or that it had finished altogether) and what
 * each of its operators wrote. Operators' files (RocksDB checkpoints) sit beside it, in a directory
 * per operator.
 *
 * @param finished the subtask had ended: a restarted job does not run it again
 * @param sourceDone per operator: a source that had reported the end of its input
 * @param operatorData per operator: what it wrote to {@link SnapshotWriter#data()}
 */
record SubtaskSnapshot(
    boolean finished,
    long[] channelWatermarks,
    long[][] portWatermarks,
    long[] outputWatermarks,
    boolean[] sourceDone,
    byte[][] operatorData) {

  static final String FILE = "subtask.state";
  private static final int MAGIC = 0x4d524353; // "MRCS"

  static SubtaskSnapshot ofFinished() {
    return new SubtaskSnapshot(
        true, new long[0], new long[0][], new long[0], new boolean[0], new byte[0][]);
  }

  /** Writes the snapshot to {@code subtaskDirectory} and syncs it to disk. */
  void write(Path subtaskDirectory) throws IOException {
    Files.createDirectories(subtaskDirectory);
    Path file = subtaskDirectory.resolve(FILE);
    try (OutputStream raw = Files.newOutputStream(file);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw))) {
      out.writeInt(MAGIC);
      out.writeBoolean(finished);
      writeLongs(out, channelWatermarks);
      out.writeInt(portWatermarks.length);
      for (long[] ports : portWatermarks) {
        writeLongs(out, ports);
      }
      writeLongs(out, outputWatermarks);
      out.writeInt(sourceDone.length);
      for (boolean done : sourceDone) {
        out.writeBoolean(done);
      }
      out.writeInt(operatorData.length);
      for (byte[] data : operatorData) {
        out.writeInt(data.length);
        out.write(data);
      }
    }
    CheckpointStorage.sync(file);
  }

  static SubtaskSnapshot read(Path subtaskDirectory) {
    Path file = subtaskDirectory.resolve(FILE);
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalStateException(file + " is not a Millrace subtask snapshot");
      }
      boolean finished = in.readBoolean();
      long[] channels = readLongs(in);
      long[][] ports = new long[in.readInt()][];
      for (int i = 0; i < ports.length; i++) {
        ports[i] = readLongs(in);
      }
      long[] outputs = readLongs(in);
      boolean[] sourceDone = new boolean[in.readInt()];
      for (int i = 0; i < sourceDone.length; i++) {
        sourceDone[i] = in.readBoolean();
      }
      byte[][] data = new byte[in.readInt()][];
      for (int i = 0; i < data.length; i++) {
        data[i] = in.readNBytes(in.readInt());
      }
      return new SubtaskSnapshot(finished, channels, ports, outputs, sourceDone, data);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the subtask snapshot " + file, e);
    }
  }

  private static void writeLongs(DataOutputStream out, long[] values) throws IOException {
    out.writeInt(values.length);
    for (long v : values) {
      out.writeLong(v);
    }
  }

  private static long[] readLongs(DataInputStream in) throws IOException {
    long[] values = new long[in.readInt()];
    for (int i = 0; i < values.length; i++) {
      values[i] = in.readLong();
    }
    return values;
  }

  /** Where operator {@code index} of a subtask keeps its files in a checkpoint. */
  static Path operatorDirectory(Path subtaskDirectory, int index) {
    return subtaskDirectory.resolve("op" + index);
  }
}
