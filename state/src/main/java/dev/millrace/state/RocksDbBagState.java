package dev.millrace.state;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;

/**
 * Each element under its own key, sub-key = 8-byte sequence number, so adding never rewrites the
 * bag and iteration returns elements in insertion order.
 */
final class RocksDbBagState<T> extends RocksDbState implements BagState<T> {
  private final Coder<T> elemCoder;

  RocksDbBagState(RocksDbStateBackend backend, byte[] prefix, Coder<T> elemCoder) {
    super(backend, prefix);
    this.elemCoder = elemCoder;
  }

  @Override
  public void add(T value) {
    backend.append(prefix, Codec.encode(elemCoder, value));
  }

  @Override
  public Iterable<T> read() {
    List<T> elements = new ArrayList<>();
    for (RocksDbStateBackend.Entry e : backend.scanPrefix(prefix)) {
      elements.add(Codec.decode(elemCoder, e.value()));
    }
    return Collections.unmodifiableList(elements);
  }

  @Override
  public BagState<T> readLater() {
    return this;
  }
}
