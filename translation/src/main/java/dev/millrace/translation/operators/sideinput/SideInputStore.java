package dev.millrace.translation.operators.sideinput;

import dev.millrace.plan.Watermarks;
import dev.millrace.state.keyed.SnapshotCoding;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryMultimapSideInputView;
import org.apache.beam.runners.core.ReadyCheckingSideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.Materializations;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.joda.time.Instant;

/**
 * The side inputs of one subtask: every element of each view's PCollection arrives here (the edge
 * broadcasts), kept per window. A window of a view is ready once that view's watermark has passed
 * the window's end (see {@link #isReady(int, BoundedWindow)} for other triggers); its value is
 * built by the view's {@link ViewFn} once and cached.
 *
 * <p>A triggered view arrives as {@link SideInputPane}s instead: a window is ready as soon as it
 * has one, and a pane with a higher index replaces the window's contents. Windows that no main
 * input can read any more are dropped as the main input's watermark passes them.
 */
public final class SideInputStore implements ReadyCheckingSideInputReader {
  private final List<PCollectionView<?>> views;
  private final List<Map<BoundedWindow, List<Object>>> contents = new ArrayList<>();
  private final long[] watermarks;

  /** Per view: the trigger of its windowing, which says when an empty window is ready. */
  private final Trigger[] triggers;

  private final List<Map<BoundedWindow, Object>> materialized = new ArrayList<>();

  /** Per view, for triggered views: the index of the newest pane kept per window. */
  private final List<Map<BoundedWindow, Long>> paneIndexes = new ArrayList<>();

  /** The view objects user code has asked with (often deserialized copies), by identity. */
  private final Map<PCollectionView<?>, Integer> positions = new IdentityHashMap<>();

  SideInputStore(List<PCollectionView<?>> views) {
    this.views = views;
    this.watermarks = new long[views.size()];
    this.triggers = new Trigger[views.size()];
    for (int i = 0; i < views.size(); i++) {
      PCollectionView<?> view = views.get(i);
      String urn = view.getViewFn().getMaterialization().getUrn();
      if (!urn.equals(Materializations.ITERABLE_MATERIALIZATION_URN)
          && !urn.equals(Materializations.MULTIMAP_MATERIALIZATION_URN)) {
        throw new IllegalArgumentException(
            "side input materialization " + urn + " is not supported");
      }
      contents.add(new HashMap<>());
      watermarks[i] = Watermarks.MIN;
      triggers[i] = view.getWindowingStrategyInternal().getTrigger();
      materialized.add(new HashMap<>());
      paneIndexes.add(new HashMap<>());
      positions.put(view, i);
    }
  }

  /** The view's position, or -1 when this store does not hold it. */
  private int position(PCollectionView<?> view) {
    Integer known = positions.get(view);
    if (known != null) {
      return known;
    }
    int found = views.indexOf(view);
    if (found >= 0) {
      positions.put(view, found);
    }
    return found;
  }

  private int required(PCollectionView<?> view) {
    int position = position(view);
    if (position < 0) {
      throw new IllegalArgumentException("side input " + view + " is not an input of this step");
    }
    return position;
  }

  void add(int index, WindowedValue<?> element) {
    for (BoundedWindow window : element.getWindows()) {
      if (element.getValue() instanceof SideInputPane pane) {
        long paneIndex = element.getPane().getIndex();
        Long newest = paneIndexes.get(index).get(window);
        if (newest != null && newest >= paneIndex) {
          continue; // an older firing than the one kept
        }
        paneIndexes.get(index).put(window, paneIndex);
        contents.get(index).put(window, new ArrayList<>(pane.values()));
      } else {
        contents.get(index).computeIfAbsent(window, w -> new ArrayList<>()).add(element.getValue());
      }
      materialized.get(index).remove(window);
    }
  }

  /**
   * Drops side windows whose latest possible reader has expired: {@code expiry} says, for a side
   * window, the main-input watermark past which no main-input element can map to it any more.
   */
  void dropExpired(
      long mainWatermark, java.util.function.BiFunction<Integer, BoundedWindow, Long> expiry) {
    for (int i = 0; i < views.size(); i++) {
      int view = i;
      contents.get(i).keySet().removeIf(w -> expiry.apply(view, w) < mainWatermark);
      materialized.get(i).keySet().removeIf(w -> expiry.apply(view, w) < mainWatermark);
      paneIndexes.get(i).keySet().removeIf(w -> expiry.apply(view, w) < mainWatermark);
    }
  }

  /** Writes every view's watermark, contents and newest pane indexes, with the views' coders. */
  @SuppressWarnings("unchecked")
  void snapshot(DataOutputStream out) throws IOException {
    for (int i = 0; i < views.size(); i++) {
      Coder<BoundedWindow> windowCoder = windowCoder(i);
      Coder<Object> valueCoder = (Coder<Object>) views.get(i).getCoderInternal();
      out.writeLong(watermarks[i]);
      out.writeInt(contents.get(i).size());
      for (Map.Entry<BoundedWindow, List<Object>> window : contents.get(i).entrySet()) {
        SnapshotCoding.write(out, windowCoder, window.getKey());
        Long paneIndex = paneIndexes.get(i).get(window.getKey());
        out.writeLong(paneIndex == null ? -1 : paneIndex);
        out.writeInt(window.getValue().size());
        for (Object value : window.getValue()) {
          SnapshotCoding.write(out, valueCoder, value);
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  void restore(DataInputStream in) throws IOException {
    for (int i = 0; i < views.size(); i++) {
      Coder<BoundedWindow> windowCoder = windowCoder(i);
      Coder<Object> valueCoder = (Coder<Object>) views.get(i).getCoderInternal();
      watermarks[i] = in.readLong();
      int windows = in.readInt();
      for (int w = 0; w < windows; w++) {
        BoundedWindow window = SnapshotCoding.read(in, windowCoder);
        long paneIndex = in.readLong();
        if (paneIndex >= 0) {
          paneIndexes.get(i).put(window, paneIndex);
        }
        int size = in.readInt();
        List<Object> values = new ArrayList<>(size);
        for (int v = 0; v < size; v++) {
          values.add(SnapshotCoding.read(in, valueCoder));
        }
        contents.get(i).put(window, values);
      }
    }
  }

  @SuppressWarnings("unchecked")
  Coder<BoundedWindow> windowCoder(int index) {
    return (Coder<BoundedWindow>)
        views.get(index).getWindowingStrategyInternal().getWindowFn().windowCoder();
  }

  void advanceWatermark(int index, long watermark) {
    watermarks[index] = watermark;
  }

  @Override
  public boolean isReady(PCollectionView<?> view, BoundedWindow window) {
    return isReady(required(view), window);
  }

  /**
   * Ready once a pane of the window arrived, or once the view's watermark has passed the point at
   * which its trigger must have fired had the window held anything (the window's end for the
   * default trigger; never, short of the end of input, for a trigger such as {@code Never.ever()}
   * or an element count), as DirectRunner decides. Before that, an empty window may be an early
   * look at one whose data is still to come: {@code Wait.on} relies on it.
   */
  boolean isReady(int index, BoundedWindow window) {
    long wm = watermarks[index];
    if (wm == Watermarks.END || paneIndexes.get(index).containsKey(window)) {
      return true;
    }
    Instant firing = triggers[index].getWatermarkThatGuaranteesFiring(window);
    return firing.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE) && wm > firing.getMillis();
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public <T> T get(PCollectionView<T> view, BoundedWindow window) {
    int index = required(view);
    Map<BoundedWindow, Object> cache = materialized.get(index);
    if (cache.containsKey(window)) {
      return (T) cache.get(window);
    }
    List<Object> values = contents.get(index).getOrDefault(window, List.of());
    Object result;
    if (view.getViewFn()
        .getMaterialization()
        .getUrn()
        .equals(Materializations.ITERABLE_MATERIALIZATION_URN)) {
      ViewFn<Materializations.IterableView, T> viewFn = (ViewFn) view.getViewFn();
      result = viewFn.apply(() -> (Iterable) values);
    } else {
      ViewFn<Materializations.MultimapView, T> viewFn = (ViewFn) view.getViewFn();
      KvCoder<?, ?> coder = (KvCoder<?, ?>) view.getCoderInternal();
      result = viewFn.apply(multimap(coder.getKeyCoder(), (Iterable) values));
    }
    cache.put(window, result);
    return (T) result;
  }

  /**
   * The elements of view {@code index} in {@code window} as they arrived, for readers that build
   * their own view (an SDK harness reading over the Fn API). The list is live: it is replaced or
   * grows as more arrives.
   */
  public List<Object> contents(int index, BoundedWindow window) {
    return contents.get(index).getOrDefault(window, List.of());
  }

  private static <K, V> Materializations.MultimapView<K, V> multimap(
      org.apache.beam.sdk.coders.Coder<K> keyCoder, Iterable<KV<K, V>> values) {
    return InMemoryMultimapSideInputView.fromIterable(keyCoder, values);
  }

  @Override
  public <T> boolean contains(PCollectionView<T> view) {
    return position(view) >= 0;
  }

  @Override
  public boolean isEmpty() {
    return views.isEmpty();
  }
}
