package dev.millrace.translation.operators;

import dev.millrace.plan.Watermarks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryMultimapSideInputView;
import org.apache.beam.runners.core.ReadyCheckingSideInputReader;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.Materializations;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The side inputs of one subtask: every element of each view's PCollection arrives here (the edge
 * broadcasts), kept per window. A window of a view is ready once that view's watermark has passed
 * the window's end; its value is built by the view's {@link ViewFn} once and cached.
 */
final class SideInputStore implements ReadyCheckingSideInputReader {
  private final List<PCollectionView<?>> views;
  private final Map<PCollectionView<?>, Map<BoundedWindow, List<Object>>> contents = new HashMap<>();
  private final Map<PCollectionView<?>, Long> watermarks = new HashMap<>();
  private final Map<PCollectionView<?>, Map<BoundedWindow, Object>> materialized = new HashMap<>();

  SideInputStore(List<PCollectionView<?>> views) {
    this.views = views;
    for (PCollectionView<?> view : views) {
      String urn = view.getViewFn().getMaterialization().getUrn();
      if (!urn.equals(Materializations.ITERABLE_MATERIALIZATION_URN)
          && !urn.equals(Materializations.MULTIMAP_MATERIALIZATION_URN)) {
        throw new IllegalArgumentException("side input materialization " + urn + " is not supported");
      }
      contents.put(view, new HashMap<>());
      watermarks.put(view, Watermarks.MIN);
      materialized.put(view, new HashMap<>());
    }
  }

  PCollectionView<?> view(int index) {
    return views.get(index);
  }

  void add(PCollectionView<?> view, WindowedValue<?> element) {
    for (BoundedWindow window : element.getWindows()) {
      contents.get(view).computeIfAbsent(window, w -> new ArrayList<>()).add(element.getValue());
      materialized.get(view).remove(window);
    }
  }

  void advanceWatermark(PCollectionView<?> view, long watermark) {
    watermarks.put(view, watermark);
  }

  @Override
  public boolean isReady(PCollectionView<?> view, BoundedWindow window) {
    long wm = watermarks.get(view);
    return wm == Watermarks.END || wm > window.maxTimestamp().getMillis();
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public <T> T get(PCollectionView<T> view, BoundedWindow window) {
    Map<BoundedWindow, Object> cache = materialized.get(view);
    if (cache.containsKey(window)) {
      return (T) cache.get(window);
    }
    List<Object> values = contents.get(view).getOrDefault(window, List.of());
    Object result;
    if (view.getViewFn().getMaterialization().getUrn().equals(Materializations.ITERABLE_MATERIALIZATION_URN)) {
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

  private static <K, V> Materializations.MultimapView<K, V> multimap(
      org.apache.beam.sdk.coders.Coder<K> keyCoder, Iterable<KV<K, V>> values) {
    return InMemoryMultimapSideInputView.fromIterable(keyCoder, values);
  }

  @Override
  public <T> boolean contains(PCollectionView<T> view) {
    return contents.containsKey(view);
  }

  @Override
  public boolean isEmpty() {
    return views.isEmpty();
  }
}
