package dev.millrace.state.heap;

import dev.millrace.plan.StateFigures;
import dev.millrace.state.keyed.KeyTimers;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.KeyedStateStore;
import dev.millrace.state.keyed.SnapshotCoding;
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
import org.apache.beam.runners.core.TimerInternals.TimerDataCoderV2;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * Heap state and timers. A snapshot is one file: the cells of every key, then every pending timer
 * in the order it was set (timers of equal time fire in that order).
 */
public final class HeapKeyedStore extends KeyedStateStore {
  private static final String FILE = HEAP_SNAPSHOT_FILE;
  private static final int MAGIC = 0x4d52484d; // "MRHM"

  private final HoldIndex holds = new HoldIndex();
  private final HeapTimerStore timers = new HeapTimerStore(holds);
  private final TimerDataCoderV2 timerCoder;
  private final HeapCellCoding cellCoding = new HeapCellCoding();

  public HeapKeyedStore(Coder<? extends BoundedWindow> windowCoder) {
    this.timerCoder = TimerDataCoderV2.of(windowCoder);
  }

  @Override
  public <K> StateInternals stateFor(K key, byte[] encodedKey, int keyGroup) {
    return new HeapKeyState<>(key, holds, cellCoding);
  }

  @Override
  public KeyTimers timersFor(StateInternals state, KeyTimers.Clocks clocks, Object owner) {
    HeapTimers keyTimers = new HeapTimers(timers, clocks);
    keyTimers.owner = owner;
    return keyTimers;
  }

  @Override
  public StateFigures figures(int keysInUse) {
    // Heap entries go once their key holds nothing: what is left are keys with state or timers.
    return new StateFigures(keysInUse, -1, -1, timers.size());
  }

  @Override
  public Due pollDue(TimeDomain domain, Instant before) {
    HeapTimerStore.Scheduled due = timers.pollBefore(domain, before);
    return due == null ? null : new Due(due.owner.owner, null, due.timer);
  }

  @Override
  public boolean nextDueBelongsTo(
      TimeDomain domain, Instant before, StateInternals state, Object owner) {
    HeapTimerStore.Scheduled next = timers.peekBefore(domain, before);
    return next != null && next.owner.owner == owner;
  }

  @Override
  public Instant earliestTimer(TimeDomain domain) {
    return timers.earliest(domain);
  }

  @Override
  public boolean hasDue(TimeDomain domain, Instant before) {
    return timers.peekBefore(domain, before) != null;
  }

  @Override
  public Instant minimumHold() {
    return holds.minimum();
  }

  @Override
  public boolean holdsNothing(StateInternals state, KeyTimers keyTimers) {
    return ((HeapTimers) keyTimers).isEmpty() && ((HeapKeyState<?>) state).isEmpty();
  }

  @Override
  public boolean entriesAreHandles() {
    return false;
  }

  @Override
  public void snapshotTo(Path directory, Collection<? extends KeyedState.Entry<?>> entries)
      throws IOException {
    Files.createDirectories(directory);
    Path file = directory.resolve(FILE);
    try (FileChannel channel =
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        DataOutputStream out =
            new DataOutputStream(
                new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel)))) {
      out.writeInt(MAGIC);
      List<KeyedState.Entry<?>> withState = new ArrayList<>();
      for (KeyedState.Entry<?> entry : entries) {
        if (!((HeapKeyState<?>) entry.state).isEmpty()) {
          withState.add(entry);
        }
      }
      out.writeInt(withState.size());
      for (KeyedState.Entry<?> entry : withState) {
        writeBytes(out, entry.id.bytes());
        ((HeapKeyState<?>) entry.state).snapshot(out);
      }
      List<HeapTimerStore.Scheduled> pending = timers.all();
      pending.sort(Comparator.comparingLong(scheduled -> scheduled.sequence));
      out.writeInt(pending.size());
      for (HeapTimerStore.Scheduled scheduled : pending) {
        writeBytes(out, ((KeyedState.Entry<?>) scheduled.owner.owner).id.bytes());
        SnapshotCoding.write(out, timerCoder, scheduled.timer);
      }
      out.flush();
      channel.force(true);
    }
  }

  @Override
  public void restoreFrom(Path directory, Function<byte[], KeyedState.Entry<?>> entryOf)
      throws IOException {
    checkSameBackend(directory, true, "on the heap");
    Path file = directory.resolve(FILE);
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
      if (in.readInt() != MAGIC) {
        throw new IOException(file + " is not a Millrace heap state snapshot");
      }
      for (int keys = in.readInt(); keys > 0; keys--) {
        ((HeapKeyState<?>) entryOf.apply(readBytes(in)).state).restore(in);
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
  public Instant minimumHoldLowerBound() {
    return holds.minimum();
  }

  @Override
  public Instant earliestTimerLowerBound(TimeDomain domain) {
    return timers.earliest(domain);
  }
}
