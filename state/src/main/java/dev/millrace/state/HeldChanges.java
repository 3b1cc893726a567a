package dev.millrace.state;

/**
 * Where the changes held in front of a {@link RocksDbStateBackend} (by its cells and its timer
 * store) are described without being written: a checkpoint keeps them held and writes them beside
 * the database ({@link HeldChangesFile}), and a restore applies them to the backend through the
 * same three calls.
 */
interface HeldChanges {
  void put(byte[] key, byte[] value);

  void delete(byte[] key);

  /** {@code value} after the entries of {@code group}, as {@link RocksDbStateBackend#append}. */
  void append(byte[] group, byte[] value);
}
