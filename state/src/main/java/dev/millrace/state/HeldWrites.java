package dev.millrace.state;

/**
 * Changes held in front of a {@link RocksDbStateBackend}'s write batch by something other than its
 * cells (the timers of a {@link RocksDbTimerStore}): written into the batch at {@link
 * RocksDbStateBackend#commit()}, described to a checkpoint's {@link HeldChangesFile} while they
 * stay held, and dropped at {@link RocksDbStateBackend#discard()}.
 */
interface HeldWrites {
  /** Stages every held change in the backend's batch and holds none any more. */
  void writeOut();

  /** Describes every held change to {@code out}, holding them still. */
  void describeTo(HeldChanges out);

  /** Forgets every held change. */
  void drop();

  /** The backend closes: give back whatever was borrowed for the held changes. */
  default void close() {}
}
