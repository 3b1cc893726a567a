package dev.millrace.translation.operators;

import java.util.Collection;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.joda.time.Instant;

/** Window.Assign: gives each element the windows its WindowFn assigns, per window it had. */
public final class WindowAssignOperator<T, W extends BoundedWindow> extends AbstractOperator {
  private final WindowFn<T, W> windowFn;

  public WindowAssignOperator(WindowFn<T, W> windowFn) {
    super(1);
    this.windowFn = windowFn;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<T> value = (WindowedValue<T>) element;
    for (WindowedValue<T> single : value.explodeWindows()) {
      BoundedWindow old = single.getWindows().iterator().next();
      Collection<W> windows =
          windowFn.assignWindows(
              windowFn.new AssignContext() {
                @Override
                public T element() {
                  return single.getValue();
                }

                @Override
                public Instant timestamp() {
                  return single.getTimestamp();
                }

                @Override
                public BoundedWindow window() {
                  return old;
                }
              });
      output(0)
          .emit(
              WindowedValue.of(
                  single.getValue(), single.getTimestamp(), windows, single.getPane()));
    }
  }

  @Override
  public boolean isCheckpointable() {
    return true; // only its input watermarks
  }
}
