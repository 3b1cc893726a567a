package dev.millrace.translation.operators;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What an operator lets go of only once a checkpoint holding it has completed (bundle finalizers, a
 * source's checkpoint marks, stable input): items added wait for the next snapshot, then for that
 * checkpoint to complete. A checkpoint that never completes releases nothing; a later one that
 * completes releases everything up to it.
 */
public final class AwaitingCheckpoint<T> {
  private final List<T> sinceSnapshot = new ArrayList<>();
  private final TreeMap<Long, List<T>> inCheckpoint = new TreeMap<>();

  /** {@code item} waits for the next snapshot. */
  public void add(T item) {
    sinceSnapshot.add(item);
  }

  /** Checkpoint {@code id} took its snapshot: what was added so far belongs to it. */
  public void snapshotTaken(long id) {
    if (!sinceSnapshot.isEmpty()) {
      inCheckpoint.put(id, new ArrayList<>(sinceSnapshot));
      sinceSnapshot.clear();
    }
  }

  /**
   * Checkpoint {@code id} completed: removes and returns, in order, what it and earlier ones hold.
   */
  public List<T> completed(long id) {
    List<T> released = new ArrayList<>();
    while (!inCheckpoint.isEmpty() && inCheckpoint.firstKey() <= id) {
      released.addAll(inCheckpoint.pollFirstEntry().getValue());
    }
    return released;
  }

  /** Whether anything waits, for a snapshot or for a completion. */
  public boolean isEmpty() {
    return sinceSnapshot.isEmpty() && inCheckpoint.isEmpty();
  }

  /** Forgets everything: it must never be let go of (the bundle failed). */
  public void clear() {
    sinceSnapshot.clear();
    inCheckpoint.clear();
  }
}
