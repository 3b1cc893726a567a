package dev.millrace.translation.operators;

import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;

/**
 * The heap state of one key: Beam's in-memory state cells, found through a few remembered
 * (namespace, state id) pairs before Beam's state table. A stateful DoFn asks for each of its
 * states on every element, with a new namespace and tag object each time; the table then hashes
 * the namespace (boxing into an array) and wraps the tag for every lookup. A state cell, once
 * made, stays the cell for its namespace and id until {@link #clear()}, so remembering it is safe.
 */
final class MemoryKeyState<K> extends InMemoryStateInternals<K> {
  private static final int REMEMBERED = 8;

  private StateNamespace[] namespaces;
  private String[] ids;
  private State[] states;
  private int size;
  private int nextReplaced;

  MemoryKeyState(K key) {
    super(key);
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
    T state = super.state(namespace, address, c);
    remember(namespace, id, state);
    return state;
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

  @Override
  public void clear() {
    super.clear();
    namespaces = null;
    ids = null;
    states = null;
    size = 0;
    nextReplaced = 0;
  }
}
