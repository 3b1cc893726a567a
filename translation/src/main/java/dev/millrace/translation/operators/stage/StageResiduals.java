package dev.millrace.translation.operators.stage;

import dev.millrace.plan.Operator;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.keyed.BeamTime;
import dev.millrace.state.keyed.SnapshotCoding;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.beam.model.fnexecution.v1.BeamFnApi.BundleApplication;
import org.apache.beam.model.fnexecution.v1.BeamFnApi.DelayedBundleApplication;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.Timestamp;

/**
 * What splittable DoFns of a stage left to do when the harness checkpointed them (a {@code
 * ProcessContinuation.resume()}, or the harness's own time and output bounds): each residual is an
 * element of the stage's input (the element with what is left of its restriction), due again after
 * the delay it asked for. Until it has run, a residual holds the stage's output watermark at the
 * output watermark the harness reported for it, so nothing it will still emit is late.
 *
 * <p>Residuals live in the subtask that made them; they are not keyed, as a splittable DoFn has no
 * state of its own.
 */
final class StageResiduals<T> {
  private record Residual<T>(long dueAt, long hold, long sequence, WindowedValue<T> element) {}

  private final Coder<WindowedValue<T>> inputCoder;
  private final PriorityQueue<Residual<T>> byDueTime =
      new PriorityQueue<>(
          (a, b) ->
              a.dueAt != b.dueAt
                  ? Long.compare(a.dueAt, b.dueAt)
                  : Long.compare(a.sequence, b.sequence));
  private final PriorityQueue<Residual<T>> byHold =
      new PriorityQueue<>((a, b) -> Long.compare(a.hold, b.hold));
  private long sequence;

  StageResiduals(Coder<WindowedValue<T>> inputCoder) {
    this.inputCoder = inputCoder;
  }

  /** Keeps the residuals of a checkpointed bundle; {@code now} is the job's clock. */
  void add(List<DelayedBundleApplication> residuals, long now) throws Exception {
    for (DelayedBundleApplication residual : residuals) {
      if (!residual.hasApplication()) {
        continue;
      }
      BundleApplication application = residual.getApplication();
      WindowedValue<T> element =
          CoderUtils.decodeFromByteArray(inputCoder, application.getElement().toByteArray());
      long delay =
          residual.hasRequestedTimeDelay()
              ? residual.getRequestedTimeDelay().getSeconds() * 1000
                  + residual.getRequestedTimeDelay().getNanos() / 1_000_000
              : 0;
      Residual<T> kept = new Residual<>(now + delay, holdOf(application), sequence++, element);
      byDueTime.add(kept);
      byHold.add(kept);
    }
  }

  /**
   * The earliest output watermark the harness reported for the residual's outputs. A residual
   * without one may still emit anything, so it holds at the beginning of time.
   */
  private static long holdOf(BundleApplication application) {
    if (application.getOutputWatermarksMap().isEmpty()) {
      return Watermarks.MIN;
    }
    long hold = Watermarks.END;
    for (Timestamp watermark : application.getOutputWatermarksMap().values()) {
      hold = Math.min(hold, BeamTime.fromProto(watermark));
    }
    return hold;
  }

  /** Removes and returns the residuals due at {@code now}, in the order they were made. */
  List<WindowedValue<T>> pollDue(long now) {
    List<WindowedValue<T>> due = new ArrayList<>();
    while (!byDueTime.isEmpty() && byDueTime.peek().dueAt <= now) {
      Residual<T> residual = byDueTime.poll();
      byHold.remove(residual);
      due.add(residual.element);
    }
    return due;
  }

  /**
   * When the next residual falls due on the job's clock, or {@link Operator#NO_PROCESSING_TIME}.
   */
  long nextDueTime() {
    return byDueTime.isEmpty() ? Operator.NO_PROCESSING_TIME : byDueTime.peek().dueAt;
  }

  /** The watermark hold of the pending residuals, END if there are none. */
  long hold() {
    return byHold.isEmpty() ? Watermarks.END : byHold.peek().hold;
  }

  boolean isEmpty() {
    return byDueTime.isEmpty();
  }

  /**
   * Writes the pending residuals in the order they were made; their due times are on the job's
   * clock, so on a restarted job a residual due before the restart is due at once.
   */
  void snapshot(DataOutputStream out) throws IOException {
    List<Residual<T>> pending = new ArrayList<>(byDueTime);
    pending.sort((a, b) -> Long.compare(a.sequence, b.sequence));
    out.writeInt(pending.size());
    for (Residual<T> residual : pending) {
      out.writeLong(residual.dueAt);
      out.writeLong(residual.hold);
      SnapshotCoding.write(out, inputCoder, residual.element);
    }
  }

  void restore(DataInputStream in) throws IOException {
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      long dueAt = in.readLong();
      long hold = in.readLong();
      Residual<T> kept =
          new Residual<>(dueAt, hold, sequence++, SnapshotCoding.read(in, inputCoder));
      byDueTime.add(kept);
      byHold.add(kept);
    }
  }
}
