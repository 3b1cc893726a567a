package dev.millrace.state;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTable;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTag.StateBinder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.CombineWithContext.CombineFnWithContext;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.CombineFnUtil;

/**
 * {@link StateInternals} of one key, stored in a {@link RocksDbStateBackend}.
 *
 * <p>State objects hold no data, only their key prefix, so instances are cheap and may be created
 * per bundle; they are cached per (namespace, state id) so repeated lookups return the same object,
 * as Beam's runners expect.
 */
public final class RocksDbStateInternals<K> implements StateInternals {
  private final RocksDbStateBackend backend;
  private final K key;
  private final byte[] keyPrefix;

  @SuppressWarnings("rawtypes") // StateTable is raw in Beam's API
  private final StateTable stateTable =
      new StateTable() {
        @Override
        protected StateBinder binderForNamespace(StateNamespace namespace, StateContext<?> c) {
          return new Binder(namespace, c);
        }
      };

  // The last few lookups, in front of the table: runners-core makes a new tag for every access of
  // a DoFn's state, over the same spec and id, and the table hashes the tag's spec and coders
  // again each time to find it. An equal tag over the same spec finds what the table would.
  private static final int RECENT = 4;
  private final Object[] recentNamespaces = new Object[RECENT];
  private final String[] recentIds = new String[RECENT];
  private final Object[] recentSpecs = new Object[RECENT];
  private final State[] recentStates = new State[RECENT];
  private int nextRecent;

  private RocksDbStateInternals(
      RocksDbStateBackend backend, K key, byte[] encodedKey, int keyGroup) {
    this.backend = backend;
    this.key = key;
    this.keyPrefix = backend.keyPrefix(keyGroup, encodedKey);
  }

  /**
   * State of {@code key}, which the caller has assigned to {@code keyGroup}. The key is encoded
   * with {@code keyCoder}, which must be deterministic so that equal keys share state.
   */
  public static <K> RocksDbStateInternals<K> forKey(
      RocksDbStateBackend backend, K key, Coder<K> keyCoder, int keyGroup) {
    return new RocksDbStateInternals<>(backend, key, Codec.encode(keyCoder, key), keyGroup);
  }

  /** As {@link #forKey}, for a caller that already holds the key's deterministic encoding. */
  public static <K> RocksDbStateInternals<K> forEncodedKey(
      RocksDbStateBackend backend, K key, byte[] encodedKey, int keyGroup) {
    return new RocksDbStateInternals<>(backend, key, encodedKey, keyGroup);
  }

  /** The prefix of all of this key's state; timers of the key are set under it too. */
  public byte[] keyPrefix() {
    return keyPrefix;
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
    Object spec = address.getSpec();
    for (int i = 0; i < RECENT; i++) {
      Object seen = recentNamespaces[i];
      if (recentSpecs[i] == spec
          && id.equals(recentIds[i])
          && (seen == namespace || namespace.equals(seen))) {
        return (T) recentStates[i];
      }
    }
    T state = (T) stateTable.get(namespace, address, c);
    int slot = nextRecent++ & (RECENT - 1);
    recentNamespaces[slot] = namespace;
    recentIds[slot] = id;
    recentSpecs[slot] = spec;
    recentStates[slot] = state;
    return state;
  }

  private final class Binder implements StateBinder {
    private final StateNamespace namespace;
    private final StateContext<?> context;

    Binder(StateNamespace namespace, StateContext<?> context) {
      this.namespace = namespace;
      this.context = context;
    }

    private byte[] prefix(StateTag<?> tag) {
      return StateKeys.statePrefix(keyPrefix, backend.namespaceKey(namespace), tag.getId());
    }

    @Override
    public <T> ValueState<T> bindValue(StateTag<ValueState<T>> spec, Coder<T> coder) {
      return new RocksDbValueState<>(backend, prefix(spec), coder);
    }

    @Override
    public <T> BagState<T> bindBag(StateTag<BagState<T>> spec, Coder<T> elemCoder) {
      return new RocksDbBagState<>(backend, prefix(spec), elemCoder);
    }

    @Override
    public <T> SetState<T> bindSet(StateTag<SetState<T>> spec, Coder<T> elemCoder) {
      return new RocksDbSetState<>(backend, prefix(spec), elemCoder);
    }

    @Override
    public <KeyT, ValueT> MapState<KeyT, ValueT> bindMap(
        StateTag<MapState<KeyT, ValueT>> spec,
        Coder<KeyT> mapKeyCoder,
        Coder<ValueT> mapValueCoder) {
      return new RocksDbMapState<>(backend, prefix(spec), mapKeyCoder, mapValueCoder);
    }

    @Override
    public <KeyT, ValueT> MultimapState<KeyT, ValueT> bindMultimap(
        StateTag<MultimapState<KeyT, ValueT>> spec,
        Coder<KeyT> keyCoder,
        Coder<ValueT> valueCoder) {
      return new RocksDbMultimapState<>(backend, prefix(spec), keyCoder, valueCoder);
    }

    @Override
    public <T> OrderedListState<T> bindOrderedList(
        StateTag<OrderedListState<T>> spec, Coder<T> elemCoder) {
      return new RocksDbOrderedListState<>(backend, prefix(spec), elemCoder);
    }

    @Override
    public <InputT, AccumT, OutputT> CombiningState<InputT, AccumT, OutputT> bindCombiningValue(
        StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
        Coder<AccumT> accumCoder,
        CombineFn<InputT, AccumT, OutputT> combineFn) {
      return new RocksDbCombiningState<>(backend, prefix(spec), accumCoder, combineFn);
    }

    @Override
    public <InputT, AccumT, OutputT>
        CombiningState<InputT, AccumT, OutputT> bindCombiningValueWithContext(
            StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
            Coder<AccumT> accumCoder,
            CombineFnWithContext<InputT, AccumT, OutputT> combineFn) {
      return bindCombiningValue(spec, accumCoder, CombineFnUtil.bindContext(combineFn, context));
    }

    @Override
    public WatermarkHoldState bindWatermark(
        StateTag<WatermarkHoldState> spec, TimestampCombiner timestampCombiner) {
      return new RocksDbWatermarkHoldState(backend, prefix(spec), timestampCombiner);
    }
  }
}
