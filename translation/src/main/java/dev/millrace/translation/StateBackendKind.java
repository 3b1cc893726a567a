package dev.millrace.translation;

/** Where keyed state (stateful ParDo, GroupByKey) lives. */
public enum StateBackendKind {
  /** In memory, per key: bounded input needs no per-element round trip to disk. */
  MEMORY,
  /** RocksDB, one instance per keyed operator of a subtask, in a temp directory removed at the end. */
  ROCKSDB
}
