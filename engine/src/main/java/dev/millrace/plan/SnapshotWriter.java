package dev.millrace.plan;

import java.io.DataOutputStream;
import java.nio.file.Path;

/** Where one operator of one subtask writes its part of a checkpoint. */
public interface SnapshotWriter {

  long checkpointId();

  /**
   * The operator's own stream: what it writes comes back, in order, from {@link
   * SnapshotReader#data()}.
   */
  DataOutputStream data();

  /**
   * A path in this checkpoint for files of the operator (a RocksDB checkpoint); it does not exist
   * yet, its parent does. The same name gives the same path in {@link SnapshotReader#directory}.
   */
  Path directory(String name);
}
