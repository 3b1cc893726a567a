package dev.millrace.translation.operators.sideinput;

import dev.millrace.translation.operators.AbstractOperator;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/**
 * The two small steps around the grouping of a triggered side input: every element under one key
 * before the grouping, and each group (one firing) turned into a {@link SideInputPane} after.
 */
public final class SideInputPaneOperator extends AbstractOperator {
  private final boolean toPanes;

  private SideInputPaneOperator(boolean toPanes) {
    super(1);
    this.toPanes = toPanes;
  }

  /** {@code value} becomes {@code KV(null, value)}. */
  public static SideInputPaneOperator keyByVoid() {
    return new SideInputPaneOperator(false);
  }

  /**
   * {@code KV(null, values)} becomes a {@code SideInputPane(values)}, in the same window and pane.
   */
  public static SideInputPaneOperator toPanes() {
    return new SideInputPaneOperator(true);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<Object> value = (WindowedValue<Object>) element;
    if (!toPanes) {
      output(0).emit(value.withValue(KV.of(null, value.getValue())));
      return;
    }
    List<Object> values = new ArrayList<>();
    for (Object v : ((KV<Void, Iterable<Object>>) value.getValue()).getValue()) {
      values.add(v);
    }
    output(0).emit(value.withValue(new SideInputPane(values)));
  }

  @Override
  public boolean isCheckpointable() {
    return true; // only its input watermarks
  }
}
