package dev.millrace.translation.operators.grouping;

import dev.millrace.plan.Watermarks;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.OutputWatermark;
import java.util.Iterator;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The first half of a lifted Combine.perKey, before the exchange: folds a bundle's inputs into one
 * accumulator per key and window, and sends the accumulators at the bundle's end.
 */
public final class PartialCombineOperator<K, InputT, AccumT> extends AbstractOperator {
  private final CombineBuffer<K, InputT, AccumT, ?> buffer;
  private final @Nullable SlidingSlices slices;

  public PartialCombineOperator(CombineSpec<K, InputT, AccumT, ?> spec) {
    this(spec, null);
  }

  /**
   * A partial combine whose inputs in exactly the windows of one slice of {@code slices} go into
   * one accumulator per key and slice, sent in all of the slice's windows: for a merge that keeps
   * slices ({@code SlidingCombineOperator}), never for one that reads windows one by one.
   */
  public PartialCombineOperator(
      CombineSpec<K, InputT, AccumT, ?> spec, @Nullable SlidingSlices slices) {
    super(1);
    this.buffer = new CombineBuffer<>(spec);
    this.slices = slices;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, InputT>> value = (WindowedValue<KV<K, InputT>>) element;
    if (slices != null) {
      long slice = slices.sliceOf(value.getWindows());
      if (slice != SlidingSlices.NO_SLICE) {
        buffer.addToSlice(
            value.getValue().getKey(),
            value.getValue().getValue(),
            slices.slice(slice),
            value.getWindows(),
            value.getTimestamp());
        return;
      }
    }
    for (BoundedWindow window : value.getWindows()) {
      buffer.addInput(
          value.getValue().getKey(), value.getValue().getValue(), window, value.getTimestamp());
    }
  }

  @Override
  public void finishBundle() throws Exception {
    Iterator<CombineBuffer.Entry<K, AccumT>> it = buffer.iterator();
    while (it.hasNext()) {
      CombineBuffer.Entry<K, AccumT> entry = it.next();
      output(0)
          .emit(
              WindowedValue.of(
                  KV.of(entry.key, buffer.compact(entry)),
                  entry.timestamp,
                  entry.windows,
                  PaneInfo.NO_FIRING));
      it.remove();
    }
  }

  @Override
  public long outputWatermark() {
    // Accumulators wait for the bundle's end; until then they hold the watermark.
    return OutputWatermark.buffered(
        minInputWatermark(), buffer.isEmpty() ? OutputWatermark.NO_HOLD : Watermarks.MIN);
  }

  @Override
  public boolean isCheckpointable() {
    return true; // its buffer is emptied at every bundle end
  }
}
