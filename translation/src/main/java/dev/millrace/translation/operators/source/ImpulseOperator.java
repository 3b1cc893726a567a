package dev.millrace.translation.operators.source;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import org.apache.beam.sdk.util.WindowedValue;

/** Beam's Impulse: one empty byte array in the global window, from subtask 0 only. */
public final class ImpulseOperator implements SourceOperator {
  private OperatorContext context;
  private boolean done;

  @Override
  public void open(OperatorContext context) {
    this.context = context;
    this.done = context.subtaskIndex() != 0;
  }

  @Override
  public Status emit(int maxElements) throws Exception {
    if (!done) {
      context.output(0).emit(WindowedValue.valueInGlobalWindow(new byte[0]));
      done = true;
    }
    return Status.DONE;
  }

  @Override
  public boolean isCheckpointable() {
    return true;
  }

  @Override
  public void snapshotState(SnapshotWriter out) throws Exception {
    out.data().writeBoolean(done);
  }

  @Override
  public void restoreState(SnapshotReader in) throws Exception {
    done = in.data().readBoolean();
  }

  @Override
  public long outputWatermark() {
    return done ? Watermarks.END : Watermarks.MIN;
  }
}
