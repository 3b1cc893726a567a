package dev.millrace.plan;

import java.io.DataInputStream;
import java.nio.file.Path;

/** One operator's part of the checkpoint a restarted job resumes from. */
public interface SnapshotReader {

  long checkpointId();

  /**
   * What the operator wrote to {@link SnapshotWriter#data()}, and nothing more: {@code available()}
   * says whether more follows, so an operator may read a section it appends last only when a
   * checkpoint written before that section existed lacks it.
   */
  DataInputStream data();

  /**
   * The files the operator put at {@link SnapshotWriter#directory} under {@code name}; read only.
   */
  Path directory(String name);
}
