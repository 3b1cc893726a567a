package dev.millrace.state.backend;

import dev.millrace.plan.KeyGroups;
import dev.millrace.state.ExternalGrouping;
import dev.millrace.state.MemoryBudget;
import dev.millrace.state.RocksDbStateBackend;
import dev.millrace.state.StateKeys;
import dev.millrace.state.keyed.EncodedKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.WindowedValue.FullWindowedValueCoder;

/**
 * Where {@link BoundedGroupByKeyOperator} keeps its input until the input ends: encoded on the heap
 * within the job's grouping memory and in sorted runs on disk past it, or in RocksDB, whose key
 * order hands the elements back grouped by key. Either way one key's elements are in memory at a
 * time when they are handed out.
 */
public abstract class GroupingBuffer<K, V> implements AutoCloseable {

  /** Receives one key and all of its elements. */
  public interface KeyVisitor<K, V> {
    void visit(K key, List<WindowedValue<V>> values) throws Exception;
  }

  public abstract void add(K key, EncodedKey encodedKey, WindowedValue<V> value) throws Exception;

  /** Makes the bundle's additions durable (RocksDB), so its write batch stays small. */
  public void commit() {}

  /**
   * Visits keys with their elements, after the last {@link #add}, until every key was visited
   * (returns true) or {@code stop} says to pause between two keys (returns false; the next call
   * goes on with the next key).
   */
  public abstract boolean drain(KeyVisitor<K, V> visitor, java.util.function.BooleanSupplier stop)
      throws Exception;

  @Override
  public void close() {}

  /**
   * Encoded on the heap within {@code memory}, which the job's groupings share, and past it in
   * sorted runs on disk ({@link ExternalGrouping}).
   */
  static <K, V> GroupingBuffer<K, V> inMemoryBudget(
      Coder<K> keyCoder,
      Coder<V> valueCoder,
      Coder<? extends BoundedWindow> windowCoder,
      MemoryBudget memory) {
    return new WithinBudget<>(keyCoder, FullWindowedValueCoder.of(valueCoder, windowCoder), memory);
  }

  static <K, V> GroupingBuffer<K, V> inRocksDb(
      Coder<K> keyCoder, Coder<V> valueCoder, Coder<? extends BoundedWindow> windowCoder) {
    return new InRocksDb<>(keyCoder, FullWindowedValueCoder.of(valueCoder, windowCoder));
  }

  private static final class WithinBudget<K, V> extends GroupingBuffer<K, V> {
    private final ExternalGrouping grouping;
    private final Coder<K> keyCoder;
    private final Coder<WindowedValue<V>> elementCoder;

    WithinBudget(Coder<K> keyCoder, Coder<WindowedValue<V>> elementCoder, MemoryBudget memory) {
      this.grouping = new ExternalGrouping(memory);
      this.keyCoder = keyCoder;
      this.elementCoder = elementCoder;
    }

    @Override
    public void add(K key, EncodedKey encodedKey, WindowedValue<V> value) throws Exception {
      grouping.add(encodedKey.bytes(), CoderUtils.encodeToByteArray(elementCoder, value));
    }

    @Override
    public boolean drain(KeyVisitor<K, V> visitor, java.util.function.BooleanSupplier stop)
        throws Exception {
      return grouping.drain(
          (key, values) -> {
            List<WindowedValue<V>> elements = new ArrayList<>(values.size());
            for (byte[] value : values) {
              elements.add(CoderUtils.decodeFromByteArray(elementCoder, value));
            }
            visitor.visit(CoderUtils.decodeFromByteArray(keyCoder, key), elements);
          },
          stop);
    }

    @Override
    public void close() {
      grouping.close();
    }
  }

  /**
   * Each element under {@code [key group][key][8-byte sequence]}: a key's elements are one
   * contiguous range, so a single pass in key order groups them.
   */
  private static final class InRocksDb<K, V> extends GroupingBuffer<K, V> {
    private final RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();
    private final Coder<K> keyCoder;
    private final Coder<WindowedValue<V>> elementCoder;

    InRocksDb(Coder<K> keyCoder, Coder<WindowedValue<V>> elementCoder) {
      this.keyCoder = keyCoder;
      this.elementCoder = elementCoder;
    }

    // Runs of one key are common, and a huge key's prefix costs a dictionary lookup.
    private EncodedKey lastKey;
    private byte[] lastPrefix;

    @Override
    public void add(K key, EncodedKey encodedKey, WindowedValue<V> value) throws Exception {
      if (!encodedKey.equals(lastKey)) {
        byte[] encoded = encodedKey.bytes();
        lastPrefix =
            backend.keyPrefix(
                KeyGroups.keyGroupOf(encoded, KeyGroups.DEFAULT_MAX_KEY_GROUPS), encoded);
        lastKey = encodedKey;
      }
      backend.append(lastPrefix, CoderUtils.encodeToByteArray(elementCoder, value));
    }

    @Override
    public void commit() {
      backend.commit();
    }

    /** Where the next drain call starts: the first entry of the first key not handed over. */
    private byte[] resumeFrom = StateKeys.keyGroupPrefix(0);

    @Override
    public boolean drain(KeyVisitor<K, V> visitor, java.util.function.BooleanSupplier stop)
        throws Exception {
      KeyRuns runs = new KeyRuns(visitor, stop);
      backend.forEach(resumeFrom, StateKeys.keyGroupsEnd(), runs);
      if (runs.paused) {
        return false;
      }
      runs.finish();
      // The input has ended, so nothing is added after this; the directory goes at close().
      return true;
    }

    /** Cuts the key-ordered entries into runs of one key and hands each run over. */
    private final class KeyRuns implements RocksDbStateBackend.EntryVisitor {
      private final KeyVisitor<K, V> visitor;
      private final java.util.function.BooleanSupplier stop;
      private final List<WindowedValue<V>> values = new ArrayList<>();
      private byte[] prefix;
      private K key;
      boolean paused;

      KeyRuns(KeyVisitor<K, V> visitor, java.util.function.BooleanSupplier stop) {
        this.visitor = visitor;
        this.stop = stop;
      }

      @Override
      public boolean visit(byte[] storedKey, byte[] value) throws Exception {
        int prefixLength = RocksDbStateBackend.keyPrefixLength(storedKey);
        if (prefix == null
            || !Arrays.equals(prefix, 0, prefix.length, storedKey, 0, prefixLength)) {
          finish();
          if (stop.getAsBoolean()) {
            // This entry starts a key not handed over yet: the next call begins with it.
            resumeFrom = storedKey;
            paused = true;
            return false;
          }
          prefix = Arrays.copyOf(storedKey, prefixLength);
          key = CoderUtils.decodeFromByteArray(keyCoder, backend.encodedKeyOf(storedKey));
        }
        values.add(CoderUtils.decodeFromByteArray(elementCoder, value));
        return true;
      }

      void finish() throws Exception {
        if (!values.isEmpty()) {
          visitor.visit(key, new ArrayList<>(values));
          values.clear();
        }
      }
    }

    @Override
    public void close() {
      backend.close();
    }
  }
}
