package dev.millrace.translation.operators.stage;

import dev.millrace.translation.operators.sideinput.SideInputGate;
import dev.millrace.translation.operators.sideinput.SideInputStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.fnexecution.state.StateRequestHandlers.IterableSideInputHandler;
import org.apache.beam.runners.fnexecution.state.StateRequestHandlers.MultimapSideInputHandler;
import org.apache.beam.runners.fnexecution.state.StateRequestHandlers.SideInputHandlerFactory;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;

/**
 * Answers an SDK harness's side-input reads (iterable and multimap access) from the side inputs a
 * stage's {@link SideInputGate} has gathered. Reads come on gRPC threads and take {@code lock},
 * which the stage's own thread holds while it changes the store. Main input reaches the harness
 * only once its side windows are ready, so a read finds what it needs.
 */
final class StageSideInputs implements SideInputHandlerFactory {
  private final Map<String, Integer> positions = new HashMap<>();
  private final SideInputStore store;
  private final Object lock;

  StageSideInputs(List<StageSpec.SideInput> sideInputs, SideInputStore store, Object lock) {
    for (int i = 0; i < sideInputs.size(); i++) {
      StageSpec.SideInput side = sideInputs.get(i);
      positions.put(key(side.transformId(), side.localName()), i);
    }
    this.store = store;
    this.lock = lock;
  }

  private static String key(String transformId, String localName) {
    return transformId + "\u0000" + localName;
  }

  private int position(String transformId, String sideInputId) {
    Integer position = positions.get(key(transformId, sideInputId));
    if (position == null) {
      throw new IllegalArgumentException(
          "no side input " + sideInputId + " of " + transformId + " in this stage");
    }
    return position;
  }

  @Override
  public <V, W extends BoundedWindow> IterableSideInputHandler<V, W> forIterableSideInput(
      String transformId, String sideInputId, Coder<V> elementCoder, Coder<W> windowCoder) {
    int index = position(transformId, sideInputId);
    return new IterableSideInputHandler<>() {
      @Override
      @SuppressWarnings("unchecked")
      public Iterable<V> get(W window) {
        synchronized (lock) {
          return (List<V>) List.copyOf(store.contents(index, window));
        }
      }

      @Override
      public Coder<V> elementCoder() {
        return elementCoder;
      }
    };
  }

  @Override
  public <K, V, W extends BoundedWindow> MultimapSideInputHandler<K, V, W> forMultimapSideInput(
      String transformId, String sideInputId, KvCoder<K, V> elementCoder, Coder<W> windowCoder) {
    int index = position(transformId, sideInputId);
    return new MultimapSideInputHandler<>() {
      /** The last window's contents by key, rebuilt when the contents changed. */
      private W indexedWindow;

      private List<Object> indexedContents;
      private int indexedSize = -1;
      private Map<Object, KV<K, List<V>>> byKey;

      @SuppressWarnings("unchecked")
      private Map<Object, KV<K, List<V>>> index(W window) {
        List<Object> contents = store.contents(index, window);
        if (!window.equals(indexedWindow)
            || contents != indexedContents
            || contents.size() != indexedSize) {
          Map<Object, KV<K, List<V>>> built = new LinkedHashMap<>();
          for (Object element : contents) {
            KV<K, V> kv = (KV<K, V>) element;
            built
                .computeIfAbsent(
                    elementCoder.getKeyCoder().structuralValue(kv.getKey()),
                    k -> KV.of(kv.getKey(), new ArrayList<>()))
                .getValue()
                .add(kv.getValue());
          }
          byKey = built;
          indexedWindow = window;
          indexedContents = contents;
          indexedSize = contents.size();
        }
        return byKey;
      }

      @Override
      public Iterable<V> get(K key, W window) {
        synchronized (lock) {
          KV<K, List<V>> values =
              index(window).get(elementCoder.getKeyCoder().structuralValue(key));
          return values == null
              ? List.of()
              : Collections.unmodifiableList(new ArrayList<>(values.getValue()));
        }
      }

      @Override
      public Iterable<K> get(W window) {
        synchronized (lock) {
          List<K> keys = new ArrayList<>();
          for (KV<K, List<V>> entry : index(window).values()) {
            keys.add(entry.getKey());
          }
          return keys;
        }
      }

      @Override
      public Coder<K> keyCoder() {
        return elementCoder.getKeyCoder();
      }

      @Override
      public Coder<V> valueCoder() {
        return elementCoder.getValueCoder();
      }
    };
  }
}
