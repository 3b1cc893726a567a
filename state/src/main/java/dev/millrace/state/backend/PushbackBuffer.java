package dev.millrace.state.backend;

import dev.millrace.state.MemoryBudget;
import dev.millrace.state.SpillQueue;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Main-input elements of a DoFn with side inputs whose side-input windows are not ready yet. On
 * bounded input that is usually the whole main input, held until the side inputs end: on disk with
 * {@code --stateBackend=ROCKSDB}, encoded on the heap within the job's memory budget and on disk
 * past it in batch jobs with state in memory, and on the heap in streaming jobs with state on the
 * heap (whose checkpoints write it out element by element). Waiting for a side input is then
 * bounded by disk, not by the heap, except in the last case.
 */
public abstract class PushbackBuffer<T> implements AutoCloseable {

  /** Receives elements taken out of the buffer. */
  public interface ElementConsumer<T> {
    void accept(WindowedValue<T> element) throws Exception;
  }

  public abstract void add(WindowedValue<T> element) throws Exception;

  abstract boolean isEmpty();

  /**
   * Takes out every element buffered so far, oldest first, and hands each to {@code consumer}.
   * Elements the consumer adds back wait for the next drain.
   */
  public abstract void drain(ElementConsumer<T> consumer) throws Exception;

  /** Whether the elements are in files, which a checkpoint takes by {@link #snapshotTo}. */
  public boolean keepsFiles() {
    return false;
  }

  /**
   * For a checkpoint of a buffer that {@link #keepsFiles}: puts every element into {@code
   * directory} (which does not exist yet), leaving the buffer as it was.
   */
  public void snapshotTo(Path directory) throws Exception {
    throw new UnsupportedOperationException(
        "a buffer on the heap is written out element by element");
  }

  /** Appends what {@link #snapshotTo} put in {@code directory}. */
  public void restoreFrom(Path directory) throws Exception {
    throw new IllegalStateException(
        "The checkpoint keeps waiting input in files ("
            + directory
            + ") but this step keeps it on the heap:"
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

  /**
   * Encoded on the heap within {@code memory}, which the job's batch steps share; past it on disk.
   */
  static <T> PushbackBuffer<T> withinBudget(Coder<WindowedValue<T>> coder, MemoryBudget memory) {
    return new WithinBudget<>(coder, memory);
  }

  private static final class InMemory<T> extends PushbackBuffer<T> {
    private List<WindowedValue<T>> elements = new ArrayList<>();

    @Override
    public void add(WindowedValue<T> element) {
      elements.add(element);
    }

    @Override
    boolean isEmpty() {
      return elements.isEmpty();
    }

    @Override
    public void drain(ElementConsumer<T> consumer) throws Exception {
      List<WindowedValue<T>> taken = elements;
      elements = new ArrayList<>();
      for (WindowedValue<T> element : taken) {
        consumer.accept(element);
      }
    }
  }

  /**
   * Encoded elements on the heap while the budget lets this buffer reserve more, in a {@link
   * SpillQueue} once it does not: what waits is bounded by disk, and only what does not fit pays
   * for the disk.
   */
  private static final class WithinBudget<T> extends PushbackBuffer<T> {
    private static final long RESERVE_STEP = 1 << 20;

    /** Heap an element costs beyond its bytes: an array header and a slot in the deque. */
    private static final int ELEMENT_OVERHEAD = 24;

    private final Coder<WindowedValue<T>> coder;
    private final MemoryBudget.Reservation memory;
    private ArrayDeque<byte[]> onHeap = new ArrayDeque<>();
    private long heldBytes;
    private SpillQueue spilled;

    WithinBudget(Coder<WindowedValue<T>> coder, MemoryBudget budget) {
      this.coder = coder;
      this.memory = budget.reservation(RESERVE_STEP);
    }

    @Override
    public void add(WindowedValue<T> element) throws Exception {
      byte[] bytes = CoderUtils.encodeToByteArray(coder, element);
      // Once some went to disk, later ones follow them there, so the order stays as it came.
      if (spilled == null || spilled.size() == 0) {
        long held = heldBytes + bytes.length + ELEMENT_OVERHEAD;
        if (memory.cover(held)) {
          onHeap.add(bytes);
          heldBytes = held;
          return;
        }
      }
      if (spilled == null) {
        spilled = new SpillQueue();
      }
      spilled.append(bytes);
    }

    @Override
    boolean isEmpty() {
      return onHeap.isEmpty() && (spilled == null || spilled.size() == 0);
    }

    @Override
    public void drain(ElementConsumer<T> consumer) throws Exception {
      ArrayDeque<byte[]> taken = onHeap;
      onHeap = new ArrayDeque<>();
      heldBytes = 0;
      memory.releaseAll();
      for (byte[] bytes : taken) {
        consumer.accept(CoderUtils.decodeFromByteArray(coder, bytes));
      }
      if (spilled != null) {
        spilled.drain(record -> consumer.accept(CoderUtils.decodeFromByteArray(coder, record)));
      }
    }

    @Override
    public void close() {
      onHeap = new ArrayDeque<>();
      heldBytes = 0;
      memory.releaseAll();
      if (spilled != null) {
        spilled.close();
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
    public void add(WindowedValue<T> element) throws Exception {
      queue.append(CoderUtils.encodeToByteArray(coder, element));
    }

    @Override
    boolean isEmpty() {
      return queue.size() == 0;
    }

    @Override
    public void drain(ElementConsumer<T> consumer) throws Exception {
      queue.drain(record -> consumer.accept(CoderUtils.decodeFromByteArray(coder, record)));
    }

    @Override
    public boolean keepsFiles() {
      return true;
    }

    /** Hard links to the spill files: nothing is read, copied or written again. */
    @Override
    public void snapshotTo(Path directory) throws Exception {
      queue.snapshotTo(directory);
    }

    @Override
    public void restoreFrom(Path directory) throws Exception {
      queue.restoreFrom(directory);
    }

    @Override
    public void close() {
      queue.close();
    }
  }
}
