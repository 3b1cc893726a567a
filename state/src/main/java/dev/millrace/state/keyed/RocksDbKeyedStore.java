package dev.millrace.state.keyed;

import dev.millrace.plan.StateFigures;
import dev.millrace.state.RocksDbStateBackend;
import dev.millrace.state.RocksDbStateInternals;
import dev.millrace.state.RocksDbTimerStore;
import java.nio.file.Path;
import java.util.Collection;
import java.util.function.Function;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

public final class RocksDbKeyedStore extends KeyedStateStore {
  private final Coder<? extends BoundedWindow> windowCoder;
  private RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();
  private RocksDbTimerStore timers;

  public RocksDbKeyedStore(Coder<? extends BoundedWindow> windowCoder) {
    this.windowCoder = windowCoder;
    this.timers = new RocksDbTimerStore(backend, windowCoder);
  }

  @Override
  public void snapshotTo(Path directory, Collection<? extends KeyedState.Entry<?>> entries) {
    // What the cells and timers hold back goes beside the database, and stays held.
    backend.checkpointTo(directory);
  }

  @Override
  public void restoreFrom(Path directory, Function<byte[], KeyedState.Entry<?>> entryOf) {
    checkSameBackend(directory, false, "in RocksDB");
    RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(directory);
    backend.close();
    backend = restored;
    timers = new RocksDbTimerStore(backend, windowCoder);
  }

  @Override
  public StateFigures figures(int keysInUse) {
    // RocksDB is addressed by cell: it knows entries and bytes, not keys, and timers live among
    // the entries.
    return new StateFigures(-1, backend.estimatedEntries(), backend.estimatedBytes(), -1);
  }

  @Override
  public <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup) {
    return RocksDbStateInternals.forEncodedKey(backend, key, encodedKey, keyGroup);
  }

  @Override
  public KeyTimers timersFor(StateInternals state, KeyTimers.Clocks clocks, Object owner) {
    // The key prefix of the key's state addresses its timers too.
    byte[] keyPrefix = ((RocksDbStateInternals<?>) state).keyPrefix();
    return new KeyTimers(clocks) {
      // The timer this key set last, while no timer of the store changed since: setting it again
      // (runners-core's window cleanup timer, set for every element) costs no lookup.
      private TimerData lastSet;
      private RocksDbTimerStore lastStore;
      private long lastVersion;

      @Override
      public void setTimer(TimerData timerData) {
        RocksDbTimerStore store = timers;
        if (lastStore == store && lastVersion == store.version() && timerData.equals(lastSet)) {
          return;
        }
        store.set(keyPrefix, timerData);
        lastSet = timerData;
        lastStore = store;
        lastVersion = store.version();
      }

      @Override
      public void delete(
          StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain) {
        timers.delete(keyPrefix, namespace, timerId, timerFamilyId);
      }
    };
  }

  @Override
  public Due pollDue(TimeDomain domain, Instant before) {
    RocksDbTimerStore.Due due = timers.pollDue(domain, before);
    return due == null ? null : new Due(null, due.key(), due.timer());
  }

  @Override
  public boolean nextDueBelongsTo(
      TimeDomain domain, Instant before, StateInternals state, Object owner) {
    return timers.nextDueHasKey(domain, before, ((RocksDbStateInternals<?>) state).keyPrefix());
  }

  @Override
  public Instant earliestTimer(TimeDomain domain) {
    return timers.earliest(domain);
  }

  @Override
  public boolean hasDue(TimeDomain domain, Instant before) {
    return timers.hasDue(domain, before);
  }

  @Override
  public Instant minimumHold() {
    return earlier(timers.minimumHold(), backend.minimumWatermarkHold());
  }

  @Override
  public boolean holdsNothing(StateInternals state, KeyTimers keyTimers) {
    // An entry only holds prefixes and bound cells here; the data is in RocksDB either way.
    return true;
  }

  @Override
  public boolean entriesAreHandles() {
    return true;
  }

  @Override
  public Instant minimumHoldLowerBound() {
    return earlier(timers.minimumHoldLowerBound(), backend.minimumWatermarkHoldLowerBound());
  }

  @Override
  public Instant earliestTimerLowerBound(TimeDomain domain) {
    return timers.earliestLowerBound(domain);
  }

  @Override
  public void commit() {
    backend.endBundle();
  }

  @Override
  public void close() {
    backend.close();
  }
}
