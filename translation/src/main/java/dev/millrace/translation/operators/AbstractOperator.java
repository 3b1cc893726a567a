package dev.millrace.translation.operators;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.Watermarks;
import java.util.Arrays;

/** Keeps the input watermarks of every port; output follows the slowest input. */
public abstract class AbstractOperator implements Operator {
  protected OperatorContext context;
  private long[] inputWatermarks;

  protected AbstractOperator(int inputs) {
    this.inputWatermarks = new long[inputs];
    Arrays.fill(inputWatermarks, Watermarks.MIN);
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    this.context = context;
  }

  protected Emitter output(int port) {
    return context.output(port);
  }

  @Override
  public void processWatermark(int port, long watermark) throws Exception {
    inputWatermarks[port] = watermark;
    onWatermark(port, watermark);
  }

  protected void onWatermark(int port, long watermark) throws Exception {}

  protected long inputWatermark(int port) {
    return inputWatermarks[port];
  }

  protected long minInputWatermark() {
    long min = Watermarks.END;
    for (long wm : inputWatermarks) {
      min = Math.min(min, wm);
    }
    return min;
  }

  @Override
  public long outputWatermark() {
    return minInputWatermark(); // OutputWatermark with no hold: an operator that holds nothing back
  }

  /** Saves the input watermarks, then what {@link #snapshotOperator} adds. */
  @Override
  public final void snapshotState(SnapshotWriter out) throws Exception {
    for (long watermark : inputWatermarks) {
      out.data().writeLong(watermark);
    }
    snapshotOperator(out);
  }

  @Override
  public final void restoreState(SnapshotReader in) throws Exception {
    for (int port = 0; port < inputWatermarks.length; port++) {
      inputWatermarks[port] = in.data().readLong();
    }
    restoreOperator(in);
  }

  /** What an operator with state saves beyond its input watermarks. */
  protected void snapshotOperator(SnapshotWriter out) throws Exception {}

  protected void restoreOperator(SnapshotReader in) throws Exception {}
}
