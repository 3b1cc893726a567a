package dev.millrace.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.ReadableStates;
import org.apache.beam.sdk.state.SetState;

/**
 * Each element is its own key, sub-key = encoded element, so membership is a point lookup and
 * equality is by encoding (as for Beam's structural values).
 */
final class RocksDbSetState<T> extends RocksDbState implements SetState<T> {
  private static final byte[] PRESENT = new byte[0];

  private final Coder<T> elemCoder;

  RocksDbSetState(RocksDbStateBackend backend, byte[] prefix, Coder<T> elemCoder) {
    super(backend, prefix);
    this.elemCoder = elemCoder;
  }

  private byte[] keyOf(T element) {
    return StateKeys.withSubKey(prefix, Codec.encode(elemCoder, element));
  }

  @Override
  public void add(T value) {
    backend.put(keyOf(value), PRESENT);
  }

  /**
   * Answered at call time, not at read(): StateInternalsTest#testSetReadable expects the answer to
   * ignore later adds, matching Beam's in-memory implementation.
   */
  @Override
  public ReadableState<Boolean> contains(T t) {
    return ReadableStates.immediate(backend.get(keyOf(t)) != null);
  }

  @Override
  public ReadableState<Boolean> addIfAbsent(T t) {
    byte[] key = keyOf(t);
    boolean absent = backend.get(key) == null;
    if (absent) {
      backend.put(key, PRESENT);
    }
    return ReadableStates.immediate(absent);
  }

  @Override
  public void remove(T t) {
    backend.delete(keyOf(t));
  }

  @Override
  public Iterable<T> read() {
    List<T> elements = new ArrayList<>();
    for (RocksDbStateBackend.Entry e : backend.scanPrefix(prefix)) {
      elements.add(Codec.decode(elemCoder, e.key(), prefix.length, e.key().length));
    }
    return Collections.unmodifiableList(elements);
  }

  @Override
  public SetState<T> readLater() {
    return this;
  }
}
