package dev.millrace.translation.operators.source;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.metrics.JobMetrics;
import java.io.Closeable;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Reads the splits of a bounded source that belong to this subtask (split i goes to subtask i
 * modulo parallelism), one after the other, in the global window.
 */
public final class BoundedReadOperator<T> implements SourceOperator {
  private final List<? extends BoundedSource<T>> splits;
  private final PipelineOptions options;
  private final JobMetrics.BundleMetrics metrics;
  private OperatorContext context;
  private int nextSplit;
  private BoundedSource.BoundedReader<T> reader;

  /** The split {@link #reader} reads, and how many records it gave so far. */
  private int currentSplit = -1;

  private long readInSplit;
  private boolean done;

  public BoundedReadOperator(
      List<? extends BoundedSource<T>> splits,
      PipelineOptions options,
      JobMetrics.BundleMetrics metrics) {
    this.splits = splits;
    this.options = options;
    this.metrics = metrics;
  }

  @Override
  public void open(OperatorContext context) {
    this.context = context;
    this.nextSplit = context.subtaskIndex();
    metrics.bind(context.subtaskIndex());
  }

  @Override
  public Status emit(int maxElements) throws Exception {
    try (Closeable scope = metrics.enter()) {
      for (int n = 0; n < maxElements && !done; n++) {
        if (!advance()) {
          done = true;
          break;
        }
        readInSplit++;
        context
            .output(0)
            .emit(
                WindowedValue.timestampedValueInGlobalWindow(
                    reader.getCurrent(), reader.getCurrentTimestamp()));
      }
    }
    return done ? Status.DONE : Status.ACTIVE;
  }

  /** Moves to the next record, opening the next split when the current one is exhausted. */
  private boolean advance() throws Exception {
    while (true) {
      if (reader != null) {
        if (reader.advance()) {
          return true;
        }
        reader.close();
        reader = null;
        currentSplit = -1;
      }
      if (nextSplit >= splits.size()) {
        return false;
      }
      reader = splits.get(nextSplit).createReader(options);
      currentSplit = nextSplit;
      readInSplit = 0;
      nextSplit += context.parallelism();
      if (reader.start()) {
        return true;
      }
      reader.close();
      reader = null;
      currentSplit = -1;
    }
  }

  @Override
  public boolean isCheckpointable() {
    return true;
  }

  /**
   * A bounded reader has no position to save, so a snapshot counts the records read from the
   * current split, and a restart reads that many again without emitting them: the source must read
   * the same records in the same order each time, as a file or a Create does.
   */
  @Override
  public void snapshotState(SnapshotWriter out) throws Exception {
    out.data().writeBoolean(done);
    out.data().writeInt(nextSplit);
    out.data().writeInt(currentSplit);
    out.data().writeLong(readInSplit);
    metrics.committed().snapshot(out.data());
  }

  @Override
  public void restoreState(SnapshotReader in) throws Exception {
    done = in.data().readBoolean();
    nextSplit = in.data().readInt();
    currentSplit = in.data().readInt();
    readInSplit = in.data().readLong();
    metrics.committed().restore(in.data());
    if (currentSplit >= 0) {
      reader = splits.get(currentSplit).createReader(options);
      boolean more = reader.start();
      for (long skipped = 1; more && skipped < readInSplit; skipped++) {
        more = reader.advance();
      }
      if (!more) {
        throw new IllegalStateException(
            "The bounded source "
                + splits.get(currentSplit)
                + " gave fewer records than before the restart: it must read the same records each time");
      }
    }
  }

  @Override
  public void finishBundle() {
    metrics.commit();
  }

  @Override
  public long outputWatermark() {
    return done ? Watermarks.END : Watermarks.MIN;
  }

  @Override
  public void close() throws Exception {
    metrics.abort();
    if (reader != null) {
      reader.close();
    }
  }
}
