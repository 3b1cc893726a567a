package dev.millrace.translation.operators;

import dev.millrace.state.RocksDbStateBackend;
import dev.millrace.state.StateKeys;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Main-input elements of a DoFn with side inputs whose side-input windows are not ready yet. On
 * bounded input that is usually the whole main input, held until the side inputs end: on the heap
 * with state in memory, or in RocksDB with {@code --stateBackend=ROCKSDB}, so that waiting for a
 * side input is bounded by disk, not by the heap.
 */
abstract class PushbackBuffer<T> implements AutoCloseable {

  /** Receives elements taken out of the buffer. */
  interface ElementConsumer<T> {
    void accept(WindowedValue<T> element) throws Exception;
  }

  abstract void add(WindowedValue<T> element) throws Exception;

  abstract boolean isEmpty();

  /**
   * Takes out every element buffered so far, oldest first, and hands each to {@code consumer}.
   * Elements the consumer adds back wait for the next drain.
   */
  abstract void drain(ElementConsumer<T> consumer) throws Exception;

  /** Makes the bundle's additions durable (RocksDB), so its write batch stays small. */
  void commit() {}

  @Override
  public void close() {}

  static <T> PushbackBuffer<T> inMemory() {
    return new InMemory<>();
  }

  static <T> PushbackBuffer<T> inRocksDb(Coder<WindowedValue<T>> coder) {
    return new InRocksDb<>(coder);
  }

  private static final class InMemory<T> extends PushbackBuffer<T> {
    private List<WindowedValue<T>> elements = new ArrayList<>();

    @Override
    void add(WindowedValue<T> element) {
      elements.add(element);
    }

    @Override
    boolean isEmpty() {
      return elements.isEmpty();
    }

    @Override
    void drain(ElementConsumer<T> consumer) throws Exception {
      List<WindowedValue<T>> taken = elements;
      elements = new ArrayList<>();
      for (WindowedValue<T> element : taken) {
        consumer.accept(element);
      }
    }
  }

  /**
   * Each element under an 8-byte sequence number. A drain reads the sequences that existed when it
   * began, a chunk at a time: a chunk is copied out and deleted before its elements are handed
   * over, because the consumer may add elements back while no RocksDB iterator may be open. The
   * buffer is no user state, so a drain commits its backend freely: each chunk's range then goes
   * with one range tombstone instead of a tombstone per element.
   */
  private static final class InRocksDb<T> extends PushbackBuffer<T> {
    private static final int CHUNK = 10_000;
    private static final byte[] PREFIX = StateKeys.keyGroupPrefix(0);

    private final RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();
    private final Coder<WindowedValue<T>> coder;
    private long first;
    private long next;

    InRocksDb(Coder<WindowedValue<T>> coder) {
      this.coder = coder;
    }

    private static byte[] key(long sequence) {
      return StateKeys.withSubKey(PREFIX, StateKeys.sequence(sequence));
    }

    @Override
    void add(WindowedValue<T> element) throws Exception {
      backend.put(key(next++), CoderUtils.encodeToByteArray(coder, element));
    }

    @Override
    boolean isEmpty() {
      return first == next;
    }

    @Override
    void drain(ElementConsumer<T> consumer) throws Exception {
      long end = next;
      while (first < end) {
        long chunkEnd = Math.min(end, first + CHUNK);
        backend.commit();
        List<RocksDbStateBackend.Entry> chunk = backend.scan(key(first), key(chunkEnd));
        backend.deleteCommittedRange(key(first), key(chunkEnd));
        first = chunkEnd;
        for (RocksDbStateBackend.Entry entry : chunk) {
          consumer.accept(CoderUtils.decodeFromByteArray(coder, entry.value()));
        }
      }
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
