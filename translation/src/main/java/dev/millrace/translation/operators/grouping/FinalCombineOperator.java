package dev.millrace.translation.operators.grouping;

import dev.millrace.plan.Watermarks;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.OutputWatermark;
import java.util.Iterator;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The second half of a lifted Combine.perKey, after the exchange: merges the accumulators of each
 * key and window and emits the result once the watermark passes the window's end. Only used for
 * bounded input with the default trigger and non-merging windows, where that is the one pane.
 */
public final class FinalCombineOperator<K, AccumT, OutputT> extends AbstractOperator {
  private final CombineBuffer<K, ?, AccumT, OutputT> buffer;
  private long hold = Watermarks.END;

  public FinalCombineOperator(CombineSpec<K, ?, AccumT, OutputT> spec) {
    super(1);
    this.buffer = new CombineBuffer<>(spec);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<KV<K, AccumT>> value = (WindowedValue<KV<K, AccumT>>) element;
    Instant timestamp = value.getTimestamp();
    for (org.apache.beam.sdk.transforms.windowing.BoundedWindow window : value.getWindows()) {
      buffer.mergeAccumulator(
          value.getValue().getKey(), value.getValue().getValue(), window, timestamp);
    }
    hold = Math.min(hold, timestamp.getMillis());
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    long newHold = Watermarks.END;
    Iterator<CombineBuffer.Entry<K, AccumT>> it = buffer.iterator();
    while (it.hasNext()) {
      CombineBuffer.Entry<K, AccumT> entry = it.next();
      if (watermark == Watermarks.END || watermark > entry.window.maxTimestamp().getMillis()) {
        output(0)
            .emit(
                WindowedValue.of(
                    KV.of(entry.key, buffer.extract(entry)),
                    entry.timestamp,
                    entry.window,
                    PaneInfo.ON_TIME_AND_ONLY_FIRING));
        it.remove();
      } else {
        newHold = Math.min(newHold, entry.timestamp.getMillis());
      }
    }
    hold = newHold;
  }

  @Override
  public long outputWatermark() {
    // The earliest output timestamp of an accumulator not emitted yet.
    return OutputWatermark.buffered(minInputWatermark(), hold);
  }
}
