package dev.millrace.state.heap;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTable;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;

/**
 * The heap state of one key: Beam's in-memory state cells, except watermark holds, which also
 * report to the operator's {@link HoldIndex} so its output watermark waits for them.
 *
 * <p>Cells are found through a few remembered (namespace, state id) pairs before the state table. A
 * stateful DoFn asks for each of its states on every element, with a new namespace and tag object
 * each time; the table then hashes the namespace (boxing into an array) and wraps the tag for every
 * lookup. A cell, once made, stays the cell for its namespace and id, so remembering it is safe.
 *
 * <p>Cells read back from a checkpoint stay bytes until first asked for: only then is their tag,
 * and so their coders, known. Their watermark holds count in the hold index at once.
 */
final class HeapKeyState<K> implements StateInternals {
  private static final int REMEMBERED = 8;

  private final K key;
  private final HoldIndex holds;
  private final HeapCellCoding coding;
  private final StateTable table =
      new StateTable() {
        @Override
        protected org.apache.beam.runners.core.StateTag.StateBinder binderForNamespace(
            StateNamespace namespace, StateContext<?> c) {
          return new InMemoryStateInternals.InMemoryStateBinder(c) {
            @Override
            public WatermarkHoldState bindWatermark(
                StateTag<WatermarkHoldState> address, TimestampCombiner timestampCombiner) {
              return new TrackedHold(timestampCombiner);
            }
          };
        }
      };
  private StateNamespace[] namespaces;
  private String[] ids;
  private State[] states;
  private int size;
  private int nextReplaced;

  /** Cells restored from a checkpoint and not asked for since, or null when there are none. */
  private Map<CellAddress, Restored> restored;

  /** Where a cell lives: the namespace's string key and the state's id. */
  private record CellAddress(String namespace, String id) {}

  /** A cell's bytes as {@link HeapCellCoding} wrote them; {@code hold} for a watermark hold. */
  private record Restored(byte[] bytes, Instant hold) {}

  HeapKeyState(K key, HoldIndex holds, HeapCellCoding coding) {
    this.key = key;
    this.holds = holds;
    this.coding = coding;
  }

  @Override
  public K getKey() {
    return key;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T extends State> T state(
      StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
    String id = address.getId();
    for (int i = 0; i < size; i++) {
      if (ids[i].equals(id) && namespaces[i].equals(namespace)) {
        return (T) states[i];
      }
    }
    T state = table.get(namespace, address, c);
    if (restored != null) {
      fillRestored(namespace, address, state);
    }
    remember(namespace, id, state);
    return state;
  }

  private void fillRestored(StateNamespace namespace, StateTag<?> address, State cell) {
    Restored cellBytes = restored.remove(new CellAddress(namespace.stringKey(), address.getId()));
    if (restored.isEmpty()) {
      restored = null;
    }
    if (cellBytes == null) {
      return;
    }
    if (cellBytes.hold != null) {
      holds.remove(cellBytes.hold); // the cell adds it again
    }
    try {
      coding.decodeInto(address, cellBytes.bytes, cell);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read back state " + address.getId() + " of a checkpoint", e);
    }
  }

  /** Writes every non-empty cell, with its namespace and id. */
  void snapshot(DataOutputStream out) throws IOException {
    List<CellAddress> addresses = new ArrayList<>();
    List<Restored> cells = new ArrayList<>();
    for (StateNamespace namespace : table.getNamespacesInUse()) {
      String namespaceKey = null; // a window's is its encoding, made once
      for (Map.Entry<StateTag, State> cell : table.getTagsInUse(namespace).entrySet()) {
        HeapCellCoding.Encoded encoded = coding.encode(cell.getKey(), cell.getValue());
        if (encoded != null) {
          if (namespaceKey == null) {
            namespaceKey = namespace.stringKey();
          }
          addresses.add(new CellAddress(namespaceKey, cell.getKey().getId()));
          cells.add(new Restored(encoded.bytes(), encoded.hold()));
        }
      }
    }
    if (restored != null) {
      for (Map.Entry<CellAddress, Restored> cell : restored.entrySet()) {
        addresses.add(cell.getKey());
        cells.add(cell.getValue());
      }
    }
    out.writeInt(cells.size());
    for (int i = 0; i < cells.size(); i++) {
      out.writeUTF(addresses.get(i).namespace);
      out.writeUTF(addresses.get(i).id);
      Restored cell = cells.get(i);
      out.writeBoolean(cell.hold != null);
      out.writeInt(cell.bytes.length);
      out.write(cell.bytes);
    }
  }

  /** Takes back what {@link #snapshot} wrote, into a key with no cells yet. */
  void restore(DataInputStream in) throws IOException {
    int count = in.readInt();
    if (count == 0) {
      return;
    }
    restored = new HashMap<>(count * 2);
    for (int i = 0; i < count; i++) {
      CellAddress address = new CellAddress(in.readUTF(), in.readUTF());
      boolean isHold = in.readBoolean();
      byte[] bytes = in.readNBytes(in.readInt());
      Instant hold = isHold ? HeapCellCoding.holdOf(bytes) : null;
      if (hold != null) {
        holds.add(hold);
      }
      restored.put(address, new Restored(bytes, hold));
    }
  }

  /** True when every cell of this key is cleared: the key holds nothing worth keeping. */
  boolean isEmpty() {
    if (restored != null) {
      return false;
    }
    for (State state : table.values()) {
      if (!((InMemoryStateInternals.InMemoryState<?>) state).isCleared()) {
        return false;
      }
    }
    return true;
  }

  private void remember(StateNamespace namespace, String id, State state) {
    if (namespaces == null) {
      namespaces = new StateNamespace[REMEMBERED];
      ids = new String[REMEMBERED];
      states = new State[REMEMBERED];
    }
    int slot;
    if (size < REMEMBERED) {
      slot = size++;
    } else {
      // Many namespaces (windows) per key: keep the most recent few, oldest out first.
      slot = nextReplaced;
      nextReplaced = (nextReplaced + 1) % REMEMBERED;
    }
    namespaces[slot] = namespace;
    ids[slot] = id;
    states[slot] = state;
  }

  /** A watermark hold whose current value is also in the operator's hold index. */
  private final class TrackedHold
      implements WatermarkHoldState, InMemoryStateInternals.InMemoryState<TrackedHold> {
    private final TimestampCombiner combiner;
    private Instant hold;

    TrackedHold(TimestampCombiner combiner) {
      this.combiner = combiner;
    }

    @Override
    public void add(Instant value) {
      Instant combined = hold == null ? value : combiner.combine(hold, value);
      if (!combined.equals(hold)) {
        if (hold != null) {
          holds.remove(hold);
        }
        holds.add(combined);
        hold = combined;
      }
    }

    @Override
    public Instant read() {
      return hold;
    }

    @Override
    public void clear() {
      if (hold != null) {
        holds.remove(hold);
        hold = null;
      }
    }

    @Override
    public ReadableState<Boolean> isEmpty() {
      return new ReadableState<>() {
        @Override
        public Boolean read() {
          return hold == null;
        }

        @Override
        public ReadableState<Boolean> readLater() {
          return this;
        }
      };
    }

    @Override
    public TrackedHold readLater() {
      return this;
    }

    @Override
    public TimestampCombiner getTimestampCombiner() {
      return combiner;
    }

    @Override
    public boolean isCleared() {
      return hold == null;
    }

    @Override
    public TrackedHold copy() {
      throw new UnsupportedOperationException("a tracked hold is never copied");
    }
  }
}
