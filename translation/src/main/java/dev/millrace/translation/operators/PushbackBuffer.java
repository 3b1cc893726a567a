package dev.millrace.translation.operators;

import dev.millrace.state.SpillQueue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Main-input elements of a DoFn with side inputs whose side-input windows are not ready yet. On
 * bounded input that is usually the whole main input, held until the side inputs end: on the heap
 * with state in memory, or on disk with {@code --stateBackend=ROCKSDB}, so that waiting for a side
 * input is bounded by disk, not by the heap.
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

  /** Whether the elements are in files, which a checkpoint takes by {@link #snapshotTo}. */
  boolean keepsFiles() {
    return false;
  }

  /**
   * For a checkpoint of a buffer that {@link #keepsFiles}: puts every element into {@code
   * directory} (which does not exist yet), leaving the buffer as it was.
   */
  void snapshotTo(Path directory) throws Exception {
    throw new UnsupportedOperationException("a buffer on the heap is written out element by element");
  }

  /** Appends what {@link #snapshotTo} put in {@code directory}. */
  void restoreFrom(Path directory) throws Exception {
    throw new IllegalStateException(
        "The checkpoint keeps waiting input in files (" + directory + ") but this step keeps it on the heap:"
            + " resume it with the state backend it was checkpointed with");
  }

  @Override
  public void close() {}

  static <T> PushbackBuffer<T> inMemory() {
    return new InMemory<>();
  }

  static <T> PushbackBuffer<T> onDisk(Coder<WindowedValue<T>> coder) {
    return new OnDisk<>(coder);
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

  /** Encoded elements in a {@link SpillQueue}: written once, read back once, in order. */
  private static final class OnDisk<T> extends PushbackBuffer<T> {
    private final SpillQueue queue = new SpillQueue();
    private final Coder<WindowedValue<T>> coder;

    OnDisk(Coder<WindowedValue<T>> coder) {
      this.coder = coder;
    }

    @Override
    void add(WindowedValue<T> element) throws Exception {
      queue.append(CoderUtils.encodeToByteArray(coder, element));
    }

    @Override
    boolean isEmpty() {
      return queue.size() == 0;
    }

    @Override
    void drain(ElementConsumer<T> consumer) throws Exception {
      queue.drain(record -> consumer.accept(CoderUtils.decodeFromByteArray(coder, record)));
    }

    @Override
    boolean keepsFiles() {
      return true;
    }

    /** Hard links to the spill files: nothing is read, copied or written again. */
    @Override
    void snapshotTo(Path directory) throws Exception {
      queue.snapshotTo(directory);
    }

    @Override
    void restoreFrom(Path directory) throws Exception {
      queue.restoreFrom(directory);
    }

    @Override
    public void close() {
      queue.close();
    }
  }
}
