package dev.millrace.state.heap;

import dev.millrace.state.keyed.KeyTimers;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.sdk.state.TimeDomain;

/**
 * The timers of one key, kept on the heap: which are set, by identity, so that setting a timer
 * again replaces it; their order in time is the operator's {@link HeapTimerStore}. Beam's {@code
 * InMemoryTimerInternals} builds three sorted sets and a table for every key and answers "is there
 * a next timer?" by catching an exception; a keyed operator asks that after every element.
 */
final class HeapTimers extends KeyTimers {

  /** What makes a timer the same timer: setting it again replaces it. */
  private record Identity(StateNamespace namespace, String timerId, String timerFamilyId) {}

  private final HeapTimerStore store;
  private final Map<Identity, HeapTimerStore.Scheduled> byIdentity = new HashMap<>(4);

  /** The keyed-state entry these timers belong to, handed back with each due timer. */
  Object owner;

  HeapTimers(HeapTimerStore store, Clocks clocks) {
    super(clocks);
    this.store = store;
  }

  boolean isEmpty() {
    return byIdentity.isEmpty();
  }

  private static Identity identityOf(TimerData timer) {
    return new Identity(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId());
  }

  /** The store fired {@code scheduled}: it is no longer set. */
  void forget(HeapTimerStore.Scheduled scheduled) {
    byIdentity.remove(identityOf(scheduled.timer), scheduled);
  }

  @Override
  public void setTimer(TimerData timer) {
    Identity identity = identityOf(timer);
    HeapTimerStore.Scheduled existing = byIdentity.get(identity);
    if (existing != null) {
      // Setting the same timer again is common (the end-of-window cleanup timer, once per
      // element); re-sorting it would cost a removal and an insertion.
      if (existing.timer.equals(timer)) {
        return;
      }
      if (existing.timer.getDomain() != timer.getDomain()) {
        throw new IllegalArgumentException(
            "timer "
                + timer.getTimerId()
                + " is set in time domain "
                + existing.timer.getDomain()
                + " and cannot be set again in "
                + timer.getDomain());
      }
      store.remove(existing);
    }
    byIdentity.put(identity, store.add(this, timer));
  }

  @Override
  public void delete(
      StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain) {
    Identity identity = new Identity(namespace, timerId, timerFamilyId);
    HeapTimerStore.Scheduled existing = byIdentity.get(identity);
    if (existing == null) {
      return;
    }
    if (domain != null && existing.timer.getDomain() != domain) {
      throw new IllegalStateException(
          "timer "
              + timerId
              + " is set in time domain "
              + existing.timer.getDomain()
              + ", not "
              + domain);
    }
    byIdentity.remove(identity);
    store.remove(existing);
  }
}
