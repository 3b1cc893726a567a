package dev.millrace.translation.operators.sideinput;

import dev.millrace.translation.operators.AbstractOperator;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/**
 * The two small steps around the grouping of a triggered side input: every element under one key
 * before the grouping, and each group (one firing) turned into a {@link SideInputPane} after.
 *
 * <p>Each element goes through the grouping with the index of the pane it came in, so that a
 * singleton view can keep only the newest firing's value: the grouping fires on synchronized
 * processing time, and a grouping subtask that steps late (a pause, a busy core) gathers two
 * firings of the view's input into one group, which a singleton view would read as two elements.
 * Other views keep every value of the group: their input may come from many keys, whose pane
 * indexes count apart and say nothing about each other.
 */
public final class SideInputPaneOperator extends AbstractOperator {
  private final boolean toPanes;
  private final boolean newestFiringOnly;

  private SideInputPaneOperator(boolean toPanes, boolean newestFiringOnly) {
    super(1);
    this.toPanes = toPanes;
    this.newestFiringOnly = newestFiringOnly;
  }

  /** {@code value} becomes {@code KV(null, KV(paneIndex, value))}. */
  public static SideInputPaneOperator keyByVoid() {
    return new SideInputPaneOperator(false, false);
  }

  /**
   * {@code KV(null, [KV(paneIndex, value)...])} becomes a {@code SideInputPane(values)}, in the
   * same window and pane; with {@code newestFiringOnly}, of the values with the highest index only.
   */
  public static SideInputPaneOperator toPanes(boolean newestFiringOnly) {
    return new SideInputPaneOperator(true, newestFiringOnly);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<Object> value = (WindowedValue<Object>) element;
    if (!toPanes) {
      output(0)
          .emit(value.withValue(KV.of(null, KV.of(value.getPane().getIndex(), value.getValue()))));
      return;
    }
    List<Object> values = new ArrayList<>();
    long newest = Long.MIN_VALUE;
    for (KV<Long, Object> v :
        ((KV<Void, Iterable<KV<Long, Object>>>) value.getValue()).getValue()) {
      if (newestFiringOnly && v.getKey() > newest) {
        newest = v.getKey();
        values.clear();
      }
      if (!newestFiringOnly || v.getKey() == newest) {
        values.add(v.getValue());
      }
    }
    output(0).emit(value.withValue(new SideInputPane(values)));
  }

  @Override
  public boolean isCheckpointable() {
    return true; // only its input watermarks
  }
}
