package dev.millrace.state.backend;

import dev.millrace.state.MemoryBudget;
import dev.millrace.state.heap.HeapKeyedStore;
import dev.millrace.state.keyed.KeyedStateStore;
import dev.millrace.state.keyed.RocksDbKeyedStore;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Where a job keeps what its operators hold (`--stateBackend`), chosen once and asked for each
 * store: keyed state and timers, a batch grouping's buffer, the main input that waits for side
 * inputs. The operators never ask which backend it is.
 */
public enum StateBackend {
  /** On the heap, per key: bounded input needs no per-element round trip to disk. */
  MEMORY {
    @Override
    public KeyedStateStore keyedStore(Coder<? extends BoundedWindow> windowCoder) {
      return new HeapKeyedStore(windowCoder);
    }

    @Override
    public <K, V> GroupingBuffer<K, V> groupingBuffer(
        Coder<K> keyCoder,
        Coder<V> valueCoder,
        Coder<? extends BoundedWindow> windowCoder,
        MemoryBudget memory) {
      return GroupingBuffer.inMemoryBudget(keyCoder, valueCoder, windowCoder, memory);
    }

    @Override
    public <T> PushbackBuffer<T> waitingBuffer(
        Coder<WindowedValue<T>> elementCoder, MemoryBudget memory) {
      return memory != null
          ? PushbackBuffer.withinBudget(elementCoder, memory)
          : PushbackBuffer.inMemory();
    }
  },
  /**
   * RocksDB, one instance per keyed operator of a subtask, in a temp directory removed at the end.
   */
  ROCKSDB {
    @Override
    public KeyedStateStore keyedStore(Coder<? extends BoundedWindow> windowCoder) {
      return new RocksDbKeyedStore(windowCoder);
    }

    @Override
    public <K, V> GroupingBuffer<K, V> groupingBuffer(
        Coder<K> keyCoder,
        Coder<V> valueCoder,
        Coder<? extends BoundedWindow> windowCoder,
        MemoryBudget memory) {
      return GroupingBuffer.inRocksDb(keyCoder, valueCoder, windowCoder);
    }

    @Override
    public <T> PushbackBuffer<T> waitingBuffer(
        Coder<WindowedValue<T>> elementCoder, MemoryBudget memory) {
      return PushbackBuffer.onDisk(elementCoder);
    }
  };

  /** The keyed state and timers of one operator in one subtask. */
  public abstract KeyedStateStore keyedStore(Coder<? extends BoundedWindow> windowCoder);

  /** A batch GroupByKey's input until it ends; {@code memory} is the job's grouping budget. */
  public abstract <K, V> GroupingBuffer<K, V> groupingBuffer(
      Coder<K> keyCoder,
      Coder<V> valueCoder,
      Coder<? extends BoundedWindow> windowCoder,
      MemoryBudget memory);

  /**
   * Main input waiting for side inputs; {@code memory}, if not null, bounds what stays on the heap.
   */
  public abstract <T> PushbackBuffer<T> waitingBuffer(
      Coder<WindowedValue<T>> elementCoder, MemoryBudget memory);

  /**
   * The backend an option value names, case-insensitively; an unset value means MEMORY for batch
   * jobs and ROCKSDB for streaming ones.
   */
  public static StateBackend fromOption(String value, boolean streaming) {
    if (value == null || value.isBlank()) {
      return streaming ? ROCKSDB : MEMORY;
    }
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--stateBackend="
              + value
              + " is not a Millrace state backend; use one of "
              + Arrays.stream(values())
                  .map(k -> k.name().toLowerCase(Locale.ROOT))
                  .collect(Collectors.joining(", ")),
          e);
    }
  }
}
