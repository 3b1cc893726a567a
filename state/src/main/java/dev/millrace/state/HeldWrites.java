package dev.millrace.state;

/**
 * Changes held in front of a {@link RocksDbStateBackend}'s write batch by something other than its
 * cells (the timers of a {@link RocksDbTimerStore}): written into the batch at {@link
 * RocksDbStateBackend#commit()}, so a checkpoint has them, and dropped at {@link
 * RocksDbStateBackend#discard()}.
 */
interface HeldWrites {
  /** Stages every held change in the backend's batch and holds none any more. */
  void writeOut();

  /** Forgets every held change. */
  void drop();

  /** The backend closes: give back whatever was borrowed for the held changes. */
  default void close() {}
}
