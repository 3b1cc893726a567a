package dev.millrace.engine;

import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.PortRef;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import java.time.Duration;
import java.util.function.Consumer;

/** Small operators over plain longs, for driving the engine without Beam. */
final class TestOperators {
  private TestOperators() {}

  /** How long a test waits for a job to reach the state it expects. */
  static final Duration WAIT = Duration.ofSeconds(30);

  /** Input {@code port} of operator {@code op} of vertex {@code vertex}. */
  static PortRef in(int vertex, int op, int port) {
    return new PortRef(vertex, op, port);
  }

  /**
   * Emits {@code from, from + step, ...} below {@code to}; after emitting t its watermark is t (no
   * later element is smaller), END once done.
   */
  static class CountingSource implements SourceOperator {
    private final long to;
    private final long step;
    private final Consumer<Long> onEmit;
    private OperatorContext context;
    private long next;
    private long watermark = Watermarks.MIN;

    CountingSource(long to, Consumer<Long> onEmit) {
      this(to, 1, onEmit);
    }

    CountingSource(long to, long step, Consumer<Long> onEmit) {
      this.to = to;
      this.step = step;
      this.onEmit = onEmit;
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
      this.next = step == 1 ? 0 : context.subtaskIndex();
    }

    @Override
    public Status emit(int maxElements) throws Exception {
      for (int i = 0; i < maxElements && next < to; i++) {
        onEmit.accept(next);
        context.output(0).emit(next);
        watermark = next;
        next += step;
      }
      if (next >= to) {
        watermark = Watermarks.END;
        return Status.DONE;
      }
      return Status.ACTIVE;
    }

    @Override
    public long outputWatermark() {
      return watermark;
    }
  }

  /** Passes elements on, calling {@code onElement} first; output watermark follows the input. */
  static class Map implements Operator {
    interface Body {
      void apply(OperatorContext context, int port, Object element) throws Exception;
    }

    private final int inputs;
    private final Body body;
    private OperatorContext context;
    private final long[] watermarks;

    Map(int inputs, Body body) {
      this.inputs = inputs;
      this.body = body;
      this.watermarks = new long[inputs];
      java.util.Arrays.fill(watermarks, Watermarks.MIN);
    }

    @Override
    public void open(OperatorContext context) {
      this.context = context;
    }

    @Override
    public void processElement(int port, Object element) throws Exception {
      body.apply(context, port, element);
    }

    @Override
    public void processWatermark(int port, long watermark) throws Exception {
      watermarks[port] = watermark;
    }

    @Override
    public long outputWatermark() {
      long min = Watermarks.END;
      for (long wm : watermarks) {
        min = Math.min(min, wm);
      }
      return min;
    }

    int inputs() {
      return inputs;
    }
  }

  static Map forward() {
    return new Map(1, (context, port, element) -> context.output(0).emit(element));
  }
}
