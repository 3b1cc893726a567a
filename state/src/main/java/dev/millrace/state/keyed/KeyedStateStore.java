package dev.millrace.state.keyed;

import dev.millrace.plan.StateFigures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.function.Function;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.TimeDomain;
import org.joda.time.Instant;

/**
 * The keyed state and timers of one operator in one subtask: on the heap, or in one RocksDB. Writes
 * of a bundle become visible to later bundles at {@link #commit()}; {@link #close()} releases
 * everything (a RocksDB store removes its directory). Both kinds track watermark holds: holds in
 * state (GroupByKey's pending panes) and the output timestamps of pending timers.
 */
public abstract class KeyedStateStore implements AutoCloseable {

  /** A timer that fell due: the entry that set it when known (heap), and the key's encoding. */
  public record Due(Object owner, byte[] encodedKey, TimerData timer) {}

  public abstract <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup);

  /** The timers of the key whose state is {@code state}; {@code owner} is handed back with them. */
  public abstract KeyTimers timersFor(StateInternals state, KeyTimers.Clocks clocks, Object owner);

  /** Removes and returns the earliest timer of {@code domain} strictly before {@code before}. */
  public abstract Due pollDue(TimeDomain domain, Instant before);

  /**
   * Whether the earliest timer of {@code domain} before {@code before} belongs to the key with this
   * state and owner (without removing it).
   */
  public abstract boolean nextDueBelongsTo(
      TimeDomain domain, Instant before, StateInternals state, Object owner);

  /** The time of the earliest timer of {@code domain}, or null. */
  public abstract Instant earliestTimer(TimeDomain domain);

  /** Whether a timer of {@code domain} strictly before {@code before} is set. */
  public abstract boolean hasDue(TimeDomain domain, Instant before);

  /** The earliest watermark hold of any key, or null. */
  public abstract Instant minimumHold();

  /** A time no hold is earlier than, cheap to ask; null when there is no hold. */
  public abstract Instant minimumHoldLowerBound();

  /** A time no timer of {@code domain} is earlier than, cheap to ask; null when there is none. */
  public abstract Instant earliestTimerLowerBound(TimeDomain domain);

  /** Whether a key with this state and these timers holds nothing worth keeping its entry for. */
  public abstract boolean holdsNothing(StateInternals state, KeyTimers timers);

  /** True when an entry only holds handles on data kept elsewhere (RocksDB), never the data. */
  public abstract boolean entriesAreHandles();

  /**
   * What it holds, as far as it can tell cheaply ({@link StateFigures}); {@code keysInUse}: the
   * entries its {@link KeyedState} keeps.
   */
  public abstract StateFigures figures(int keysInUse);

  public void commit() {}

  /**
   * Writes everything committed to {@code directory}, which does not exist yet. {@code entries}:
   * the operator's entries now, every key with state or timers among them when the store keeps them
   * on the heap.
   */
  public abstract void snapshotTo(Path directory, Collection<? extends KeyedState.Entry<?>> entries)
      throws IOException;

  /**
   * Replaces the store's (empty) contents by what {@link #snapshotTo} wrote to {@code directory};
   * {@code entryOf} gives the operator's entry of an encoded key, made on first asking.
   */
  public abstract void restoreFrom(Path directory, Function<byte[], KeyedState.Entry<?>> entryOf)
      throws IOException;

  @Override
  public void close() {}

  public static Instant earlier(Instant a, Instant b) {
    return a == null || (b != null && b.isBefore(a)) ? b : a;
  }

  /** The one file a heap store's snapshot is. */
  public static final String HEAP_SNAPSHOT_FILE = "heap-state";

  /** Fails, naming both, when {@code directory} was written by a store of another backend. */
  public static void checkSameBackend(Path directory, boolean heapSnapshot, String resumedWith) {
    if (Files.isRegularFile(directory.resolve(HEAP_SNAPSHOT_FILE)) != heapSnapshot) {
      throw new IllegalStateException(
          "The checkpoint in "
              + directory
              + " holds keyed state "
              + (heapSnapshot ? "in RocksDB" : "on the heap")
              + ", but this job keeps it "
              + resumedWith
              + ": resume it with the --stateBackend it was checkpointed with");
    }
  }
}
