package dev.millrace.translation.operators;

import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;

/** An operator's snapshot kept in memory (its files in {@code directory}), and read back. */
final class TestSnapshots {
  private TestSnapshots() {}

  /** Collects what an operator writes; {@code directory} may be null for one that keeps no files. */
  static final class Writer implements SnapshotWriter {
    private final long checkpointId;
    private final Path directory;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream data = new DataOutputStream(bytes);

    Writer(long checkpointId, Path directory) {
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
        throw new AssertionError("this operator was expected to keep no files");
      }
      return directory.resolve(name);
    }

    /** A reader of what was written. */
    SnapshotReader reader() {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
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
          return Writer.this.directory(name);
        }
      };
    }
  }
}
