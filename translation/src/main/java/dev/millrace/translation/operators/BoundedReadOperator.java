package dev.millrace.translation.operators;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.JobMetrics;
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
  private boolean done;

  public BoundedReadOperator(
      List<? extends BoundedSource<T>> splits, PipelineOptions options, JobMetrics.BundleMetrics metrics) {
    this.splits = splits;
    this.options = options;
    this.metrics = metrics;
  }

  @Override
  public void open(OperatorContext context) {
    this.context = context;
    this.nextSplit = context.subtaskIndex();
  }

  @Override
  public Status emit(int maxElements) throws Exception {
    try (Closeable scope = metrics.enter()) {
      for (int n = 0; n < maxElements && !done; n++) {
        if (!advance()) {
          done = true;
          break;
        }
        context
            .output(0)
            .emit(WindowedValue.timestampedValueInGlobalWindow(reader.getCurrent(), reader.getCurrentTimestamp()));
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
      }
      if (nextSplit >= splits.size()) {
        return false;
      }
      reader = splits.get(nextSplit).createReader(options);
      nextSplit += context.parallelism();
      if (reader.start()) {
        return true;
      }
      reader.close();
      reader = null;
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
