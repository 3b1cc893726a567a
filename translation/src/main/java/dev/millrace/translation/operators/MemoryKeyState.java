package dev.millrace.translation.operators;

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
 * <p>Cells are found through a few remembered (namespace, state id) pairs before the state table.
 * A stateful DoFn asks for each of its states on every element, with a new namespace and tag
 * object each time; the table then hashes the namespace (boxing into an array) and wraps the tag
 * for every lookup. A cell, once made, stays the cell for its namespace and id, so remembering it
 * is safe.
 */
final class MemoryKeyState<K> implements StateInternals {
  private static final int REMEMBERED = 8;

  private final K key;
  private final HoldIndex holds;
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

  MemoryKeyState(K key, HoldIndex holds) {
    this.key = key;
    this.holds = holds;
  }

  @Override
  public K getKey() {
    return key;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T extends State> T state(StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
    String id = address.getId();
    for (int i = 0; i < size; i++) {
      if (ids[i].equals(id) && namespaces[i].equals(namespace)) {
        return (T) states[i];
      }
    }
    T state = table.get(namespace, address, c);
    remember(namespace, id, state);
    return state;
  }

  /** True when every cell of this key is cleared: the key holds nothing worth keeping. */
  boolean isEmpty() {
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
  private final class TrackedHold implements WatermarkHoldState, InMemoryStateInternals.InMemoryState<TrackedHold> {
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
