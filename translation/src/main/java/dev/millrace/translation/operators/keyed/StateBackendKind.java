package dev.millrace.translation.operators.keyed;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Where keyed state (stateful ParDo, GroupByKey) lives. */
public enum StateBackendKind {
  /** In memory, per key: bounded input needs no per-element round trip to disk. */
  MEMORY,
  /** RocksDB, one instance per keyed operator of a subtask, in a temp directory removed at the end. */
  ROCKSDB;

  /**
   * The backend an option value names, case-insensitively; an unset value means MEMORY for batch
   * jobs and ROCKSDB for streaming ones.
   */
  public static StateBackendKind fromOption(String value, boolean streaming) {
    if (value == null || value.isBlank()) {
      return streaming ? ROCKSDB : MEMORY;
    }
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--stateBackend="
              + value
              + " is not a Millrace state backend; use one of "
              + Arrays.stream(values()).map(k -> k.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")),
          e);
    }
  }
}
