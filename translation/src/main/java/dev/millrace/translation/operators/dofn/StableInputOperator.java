package dev.millrace.translation.operators.dofn;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.keyed.BeamTime;
import dev.millrace.state.keyed.SnapshotCoding;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.OutputWatermark;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Sits before a step whose DoFn is annotated {@code @RequiresStableInput}: with checkpoints on, the
 * step sees an element only once a checkpoint holding it has completed. Elements wait here in
 * segments, one per checkpoint: what arrived before a checkpoint's barrier goes into that
 * checkpoint's snapshot and is passed on once it completes. A job resumed from a checkpoint thus
 * hands the step the very elements it would have had, replayed from the checkpoint, never
 * recomputed upstream (where a nondeterministic step could make them differ).
 *
 * <p>The output watermark is held at the earliest timestamp of an element still waiting, so no
 * element is late for the step when it is passed on. Without checkpoints a failed job is never
 * resumed, so there is nothing to replay: elements go straight through.
 */
public final class StableInputOperator extends AbstractOperator {

  /** Elements that arrived before the barrier of checkpoint {@code checkpointId}. */
  private static final class Segment {
    final long checkpointId;
    final List<WindowedValue<?>> elements;
    final long earliest;
    int next;

    Segment(long checkpointId, List<WindowedValue<?>> elements, long earliest) {
      this.checkpointId = checkpointId;
      this.elements = elements;
      this.earliest = earliest;
    }
  }

  private final Coder<WindowedValue<?>> elementCoder;
  private boolean checkpointing;

  /** Since the last snapshot: waits for the next checkpoint. */
  private List<WindowedValue<?>> arriving = new ArrayList<>();

  private long arrivingEarliest = Watermarks.END;

  /** Snapshotted, oldest first: wait for their checkpoint to complete. */
  private final ArrayDeque<Segment> snapshotted = new ArrayDeque<>();

  /** Their checkpoint completed: being passed on, oldest first. */
  private final ArrayDeque<Segment> released = new ArrayDeque<>();

  private long outputWatermark = Watermarks.MIN;

  @SuppressWarnings({"unchecked", "rawtypes"})
  public StableInputOperator(Coder<? extends WindowedValue<?>> elementCoder) {
    super(1);
    this.elementCoder = (Coder) elementCoder;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    checkpointing = context.isCheckpointing();
  }

  @Override
  public void processElement(int port, Object element) throws Exception {
    if (!checkpointing) {
      output(0).emit(element);
      return;
    }
    WindowedValue<?> value = (WindowedValue<?>) element;
    arriving.add(value);
    arrivingEarliest = Math.min(arrivingEarliest, BeamTime.toWatermark(value.getTimestamp()));
  }

  @Override
  public long outputWatermark() {
    long buffered = OutputWatermark.NO_HOLD;
    if (checkpointing) {
      buffered = arrivingEarliest;
      for (Segment segment : snapshotted) {
        buffered = Math.min(buffered, segment.earliest);
      }
      for (Segment segment : released) {
        buffered = Math.min(buffered, segment.earliest);
      }
    }
    // Never below what a checkpoint recorded as promised: a late element waits without lowering it.
    return Math.max(outputWatermark, OutputWatermark.buffered(minInputWatermark(), buffered));
  }

  @Override
  public boolean hasPendingWork() {
    return !released.isEmpty();
  }

  @Override
  public void continueWork() throws Exception {
    while (!released.isEmpty() && !context.isOutputBlocked()) {
      Segment segment = released.peekFirst();
      while (segment.next < segment.elements.size() && !context.isOutputBlocked()) {
        output(0).emit(segment.elements.get(segment.next++));
      }
      if (segment.next == segment.elements.size()) {
        released.pollFirst();
      }
    }
  }

  @Override
  public boolean isCheckpointable() {
    return true;
  }

  /** At the end of the input, what still waits goes on after one more checkpoint, taken at once. */
  @Override
  public boolean awaitsCheckpoint() {
    return !arriving.isEmpty() || !snapshotted.isEmpty();
  }

  @Override
  protected void snapshotOperator(SnapshotWriter out) throws Exception {
    if (!arriving.isEmpty()) {
      snapshotted.addLast(new Segment(out.checkpointId(), arriving, arrivingEarliest));
      arriving = new ArrayList<>();
      arrivingEarliest = Watermarks.END;
    }
    DataOutputStream data = out.data();
    outputWatermark = outputWatermark();
    data.writeLong(outputWatermark);
    // Released segments are not fully passed on yet: they are in the checkpoint too.
    data.writeInt(released.size() + snapshotted.size());
    for (Segment segment : released) {
      writeSegment(data, segment, segment.next);
    }
    for (Segment segment : snapshotted) {
      writeSegment(data, segment, 0);
    }
  }

  private void writeSegment(DataOutputStream data, Segment segment, int from) throws IOException {
    data.writeInt(segment.elements.size() - from);
    for (int i = from; i < segment.elements.size(); i++) {
      SnapshotCoding.write(data, elementCoder, segment.elements.get(i));
    }
  }

  /** Everything in the checkpoint a job resumes from is stable: it is passed on at once. */
  @Override
  protected void restoreOperator(SnapshotReader in) throws Exception {
    DataInputStream data = in.data();
    outputWatermark = data.readLong();
    for (int segments = data.readInt(); segments > 0; segments--) {
      int count = data.readInt();
      List<WindowedValue<?>> elements = new ArrayList<>(count);
      long earliest = Watermarks.END;
      for (int i = 0; i < count; i++) {
        WindowedValue<?> value = SnapshotCoding.read(data, elementCoder);
        elements.add(value);
        earliest = Math.min(earliest, BeamTime.toWatermark(value.getTimestamp()));
      }
      released.addLast(new Segment(in.checkpointId(), elements, earliest));
    }
  }

  @Override
  public void checkpointComplete(long checkpointId) {
    while (!snapshotted.isEmpty() && snapshotted.peekFirst().checkpointId <= checkpointId) {
      released.addLast(snapshotted.pollFirst());
    }
  }
}
