package dev.millrace.translation.operators.keyed;

import dev.millrace.state.RocksDbStateBackend;
import dev.millrace.state.RocksDbStateInternals;
import dev.millrace.state.RocksDbTimerStore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.runners.core.TimerInternals.TimerDataCoderV2;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * The keyed state and timers of one operator in one subtask: on the heap, or in one RocksDB.
 * Writes of a bundle become visible to later bundles at {@link #commit()}; {@link #close()}
 * releases everything (a RocksDB store removes its directory). Both kinds track watermark holds:
 * holds in state (GroupByKey's pending panes) and the output timestamps of pending timers.
 */
public abstract class KeyedStateStore implements AutoCloseable {

  /** A timer that fell due: the entry that set it when known (heap), and the key's encoding. */
  record Due(Object owner, byte[] encodedKey, TimerData timer) {}

  abstract <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup);

  /** The timers of the key whose state is {@code state}; {@code owner} is handed back with them. */
  abstract KeyTimers timersFor(StateInternals state, KeyTimers.Clocks clocks, Object owner);

  /** Removes and returns the earliest timer of {@code domain} strictly before {@code before}. */
  abstract Due pollDue(TimeDomain domain, Instant before);

  /**
   * Whether the earliest timer of {@code domain} before {@code before} belongs to the key with
   * this state and owner (without removing it).
   */
  abstract boolean nextDueBelongsTo(TimeDomain domain, Instant before, StateInternals state, Object owner);

  /** The time of the earliest timer of {@code domain}, or null. */
  abstract Instant earliestTimer(TimeDomain domain);

  /** Whether a timer of {@code domain} strictly before {@code before} is set. */
  abstract boolean hasDue(TimeDomain domain, Instant before);

  /** The earliest watermark hold of any key, or null. */
  abstract Instant minimumHold();

  /** A time no hold is earlier than, cheap to ask; null when there is no hold. */
  abstract Instant minimumHoldLowerBound();

  /** A time no timer of {@code domain} is earlier than, cheap to ask; null when there is none. */
  abstract Instant earliestTimerLowerBound(TimeDomain domain);

  /** Whether a key with this state and these timers holds nothing worth keeping its entry for. */
  abstract boolean holdsNothing(StateInternals state, KeyTimers timers);

  /** True when an entry only holds handles on data kept elsewhere (RocksDB), never the data. */
  abstract boolean entriesAreHandles();


  void commit() {}

  /**
   * Writes everything committed to {@code directory}, which does not exist yet. {@code entries}:
   * the operator's entries now, every key with state or timers among them when the store keeps
   * them on the heap.
   */
  abstract void snapshotTo(Path directory, Collection<? extends KeyedState.Entry<?>> entries) throws IOException;

  /**
   * Replaces the store's (empty) contents by what {@link #snapshotTo} wrote to {@code directory};
   * {@code entryOf} gives the operator's entry of an encoded key, made on first asking.
   */
  abstract void restoreFrom(Path directory, Function<byte[], KeyedState.Entry<?>> entryOf) throws IOException;

  @Override
  public void close() {}

  static Instant earlier(Instant a, Instant b) {
    return a == null || (b != null && b.isBefore(a)) ? b : a;
  }

  /** Fails, naming both, when {@code directory} was written by a store of another backend. */
  static void checkSameBackend(Path directory, boolean heapSnapshot, String resumedWith) {
    if (Files.isRegularFile(directory.resolve(Memory.FILE)) != heapSnapshot) {
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

  public static KeyedStateStore create(StateBackendKind kind, Coder<? extends BoundedWindow> windowCoder) {
    return kind == StateBackendKind.ROCKSDB ? new RocksDb(windowCoder) : new Memory(windowCoder);
  }

  /**
   * Heap state and timers. A snapshot is one file: the cells of every key, then every pending
   * timer in the order it was set (timers of equal time fire in that order).
   */
  private static final class Memory extends KeyedStateStore {
    private static final String FILE = "heap-state";
    private static final int MAGIC = 0x4d52484d; // "MRHM"

    private final HoldIndex holds = new HoldIndex();
    private final MemoryTimerStore timers = new MemoryTimerStore(holds);
    private final TimerDataCoderV2 timerCoder;
    private final MemoryCellCoding cellCoding = new MemoryCellCoding();

    Memory(Coder<? extends BoundedWindow> windowCoder) {
      this.timerCoder = TimerDataCoderV2.of(windowCoder);
    }

    @Override
    <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup) {
      return new MemoryKeyState<>(key, holds, cellCoding);
    }

    @Override
    KeyTimers timersFor(StateInternals state, KeyTimers.Clocks clocks, Object owner) {
      MemoryTimers keyTimers = new MemoryTimers(timers, clocks);
      keyTimers.owner = owner;
      return keyTimers;
    }

    @Override
    Due pollDue(TimeDomain domain, Instant before) {
      MemoryTimerStore.Scheduled due = timers.pollBefore(domain, before);
      return due == null ? null : new Due(due.owner.owner, null, due.timer);
    }

    @Override
    boolean nextDueBelongsTo(TimeDomain domain, Instant before, StateInternals state, Object owner) {
      MemoryTimerStore.Scheduled next = timers.peekBefore(domain, before);
      return next != null && next.owner.owner == owner;
    }

    @Override
    Instant earliestTimer(TimeDomain domain) {
      return timers.earliest(domain);
    }

    @Override
    boolean hasDue(TimeDomain domain, Instant before) {
      return timers.peekBefore(domain, before) != null;
    }

    @Override
    Instant minimumHold() {
      return holds.minimum();
    }

    @Override
    boolean holdsNothing(StateInternals state, KeyTimers keyTimers) {
      return ((MemoryTimers) keyTimers).isEmpty() && ((MemoryKeyState<?>) state).isEmpty();
    }

    @Override
    boolean entriesAreHandles() {
      return false;
    }

    @Override
    void snapshotTo(Path directory, Collection<? extends KeyedState.Entry<?>> entries) throws IOException {
      Files.createDirectories(directory);
      Path file = directory.resolve(FILE);
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          DataOutputStream out = new DataOutputStream(new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel)))) {
        out.writeInt(MAGIC);
        List<KeyedState.Entry<?>> withState = new ArrayList<>();
        for (KeyedState.Entry<?> entry : entries) {
          if (!((MemoryKeyState<?>) entry.state).isEmpty()) {
            withState.add(entry);
          }
        }
        out.writeInt(withState.size());
        for (KeyedState.Entry<?> entry : withState) {
          writeBytes(out, entry.id.bytes());
          ((MemoryKeyState<?>) entry.state).snapshot(out);
        }
        List<MemoryTimerStore.Scheduled> pending = timers.all();
        pending.sort(Comparator.comparingLong(scheduled -> scheduled.sequence));
        out.writeInt(pending.size());
        for (MemoryTimerStore.Scheduled scheduled : pending) {
          writeBytes(out, ((KeyedState.Entry<?>) scheduled.owner.owner).id.bytes());
          SnapshotCoding.write(out, timerCoder, scheduled.timer);
        }
        out.flush();
        channel.force(true);
      }
    }

    @Override
    void restoreFrom(Path directory, Function<byte[], KeyedState.Entry<?>> entryOf) throws IOException {
      checkSameBackend(directory, true, "on the heap");
      Path file = directory.resolve(FILE);
      try (InputStream raw = Files.newInputStream(file);
          DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
        if (in.readInt() != MAGIC) {
          throw new IOException(file + " is not a Millrace heap state snapshot");
        }
        for (int keys = in.readInt(); keys > 0; keys--) {
          ((MemoryKeyState<?>) entryOf.apply(readBytes(in)).state).restore(in);
        }
        for (int pending = in.readInt(); pending > 0; pending--) {
          KeyedState.Entry<?> entry = entryOf.apply(readBytes(in));
          entry.timers.setTimer(SnapshotCoding.read(in, timerCoder));
        }
      }
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
      out.writeInt(bytes.length);
      out.write(bytes);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
      return in.readNBytes(in.readInt());
    }

    @Override
    Instant minimumHoldLowerBound() {
      return holds.minimum();
    }

    @Override
    Instant earliestTimerLowerBound(TimeDomain domain) {
      return timers.earliest(domain);
    }
  }

  private static final class RocksDb extends KeyedStateStore {
    private final Coder<? extends BoundedWindow> windowCoder;
    private RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();
    private RocksDbTimerStore timers;

    RocksDb(Coder<? extends BoundedWindow> windowCoder) {
      this.windowCoder = windowCoder;
      this.timers = new RocksDbTimerStore(backend, windowCoder);
    }

    @Override
    void snapshotTo(Path directory, Collection<? extends KeyedState.Entry<?>> entries) {
      backend.checkpointTo(directory);
    }

    @Override
    void restoreFrom(Path directory, Function<byte[], KeyedState.Entry<?>> entryOf) {
      checkSameBackend(directory, false, "in RocksDB");
      RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(directory);
      backend.close();
      backend = restored;
      timers = new RocksDbTimerStore(backend, windowCoder);
    }

    @Override
    <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup) {
      return RocksDbStateInternals.forEncodedKey(backend, key, encodedKey, keyGroup);
    }

    @Override
    KeyTimers timersFor(StateInternals state, KeyTimers.Clocks clocks, Object owner) {
      // The key prefix of the key's state addresses its timers too.
      byte[] keyPrefix = ((RocksDbStateInternals<?>) state).keyPrefix();
      return new KeyTimers(clocks) {
        @Override
        public void setTimer(TimerData timerData) {
          timers.set(keyPrefix, timerData);
        }

        @Override
        void delete(StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain) {
          timers.delete(keyPrefix, namespace, timerId, timerFamilyId);
        }
      };
    }

    @Override
    Due pollDue(TimeDomain domain, Instant before) {
      RocksDbTimerStore.Due due = timers.pollDue(domain, before);
      return due == null ? null : new Due(null, due.key(), due.timer());
    }

    @Override
    boolean nextDueBelongsTo(TimeDomain domain, Instant before, StateInternals state, Object owner) {
      return timers.nextDueHasKey(domain, before, ((RocksDbStateInternals<?>) state).keyPrefix());
    }

    @Override
    Instant earliestTimer(TimeDomain domain) {
      return timers.earliest(domain);
    }

    @Override
    boolean hasDue(TimeDomain domain, Instant before) {
      return timers.hasDue(domain, before);
    }

    @Override
    Instant minimumHold() {
      return earlier(timers.minimumHold(), backend.minimumWatermarkHold());
    }

    @Override
    boolean holdsNothing(StateInternals state, KeyTimers keyTimers) {
      // An entry only holds prefixes and bound cells here; the data is in RocksDB either way.
      return true;
    }

    @Override
    boolean entriesAreHandles() {
      return true;
    }

    @Override
    Instant minimumHoldLowerBound() {
      return earlier(timers.minimumHoldLowerBound(), backend.minimumWatermarkHoldLowerBound());
    }

    @Override
    Instant earliestTimerLowerBound(TimeDomain domain) {
      return timers.earliestLowerBound(domain);
    }

    @Override
    void commit() {
      backend.commit();
    }

    @Override
    public void close() {
      backend.close();
    }
  }
}
