package dev.millrace.translation.operators;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.JobMetrics;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.metrics.SourceMetrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Reads the splits of an unbounded source that belong to this subtask (split i goes to subtask i
 * modulo parallelism), one reader per split, round robin. The output watermark is the minimum of
 * the readers' watermarks; a reader whose watermark reaches the end of time is done. When no
 * reader has anything, the source is idle and asks to be polled again after a back-off (1 ms,
 * doubling up to {@value #MAX_BACKOFF_MILLIS} ms), so an idle stream costs a few polls a second.
 *
 * <p>At the end of each bundle (the engine's commit point) each reader that produced something is
 * asked for its checkpoint mark, which is finalized at once: there is no durable checkpoint yet
 * for a restart to go back to, so the bundle's commit is the last moment a record is ours to lose.
 * The readers' backlog is reported as Beam's {@link SourceMetrics#backlogBytes()} gauge.
 *
 * <p>When the job is drained, the readers are checkpointed and closed and the output ends.
 *
 * <p>With {@link Limits} it reads a bounded amount (Beam's {@code withMaxNumRecords} / {@code
 * withMaxReadTime}): each reader stops after its share of the records or its read time, all
 * readers at once, and the output is complete when the last one stops.
 */
public final class UnboundedReadOperator<T> implements SourceOperator {
  private static final long MAX_BACKOFF_MILLIS = 128;
  /** Record ids remembered for sources that need deduplication, as Beam's DirectRunner does. */
  private static final long DEDUP_MILLIS = 10 * 60 * 1000;

  /**
   * How much a bounded read takes: records in all (spread over the splits), and time each split
   * reads from its first record; {@code maxReadTime} null: no time limit.
   */
  public record Limits(long maxRecords, org.joda.time.Duration maxReadTime) {
    /** {@code maxRecords} spread over {@code splits} as evenly as they go, like Beam does. */
    public static long recordsOfSplit(long maxRecords, int splits, int split) {
      return maxRecords / splits + (split < maxRecords % splits ? 1 : 0);
    }
  }

  private final List<? extends UnboundedSource<T, ?>> splits;
  private final Limits limits;
  private final PipelineOptions options;
  private final JobMetrics.BundleMetrics metrics;
  private final boolean dedup;
  private OperatorContext context;
  private final List<Reader<T>> readers = new ArrayList<>();
  private final Map<EncodedKey, Long> seenIds = new LinkedHashMap<>();
  private int next;
  private long backoff = 1;
  private long wakeUp;
  private long watermark = Watermarks.MIN;
  private boolean opened;

  private static final class Reader<T> {
    final UnboundedSource.UnboundedReader<T> reader;
    final long maxRecords;
    boolean started;
    boolean readSinceCheckpoint;
    long records;
    long deadline = Long.MAX_VALUE;

    Reader(UnboundedSource.UnboundedReader<T> reader, long maxRecords) {
      this.reader = reader;
      this.maxRecords = maxRecords;
    }

    boolean exhausted() {
      return records >= maxRecords || System.currentTimeMillis() >= deadline;
    }
  }

  public UnboundedReadOperator(
      List<? extends UnboundedSource<T, ?>> splits, PipelineOptions options, JobMetrics.BundleMetrics metrics) {
    this(splits, null, options, metrics);
  }

  /** A bounded read of an unbounded source, within {@code limits} (null: unbounded). */
  public UnboundedReadOperator(
      List<? extends UnboundedSource<T, ?>> splits,
      Limits limits,
      PipelineOptions options,
      JobMetrics.BundleMetrics metrics) {
    this.splits = splits;
    this.limits = limits;
    this.options = options;
    this.metrics = metrics;
    this.dedup = !splits.isEmpty() && splits.get(0).requiresDeduping();
  }

  @Override
  public void open(OperatorContext context) {
    this.context = context;
  }

  private void openReaders() throws Exception {
    opened = true;
    for (int i = context.subtaskIndex(); i < splits.size(); i += context.parallelism()) {
      long records = limits == null ? Long.MAX_VALUE : Limits.recordsOfSplit(limits.maxRecords(), splits.size(), i);
      if (records > 0) {
        readers.add(new Reader<>(splits.get(i).createReader(options, null), records));
      }
    }
  }

  @Override
  public Status emit(int maxElements) throws Exception {
    try (Closeable scope = metrics.enter()) {
      if (!opened) {
        openReaders();
      }
      if (context.isDraining()) {
        // Drained: what was read is acknowledged, nothing more is read, and the input ends.
        for (Reader<T> r : readers) {
          checkpoint(r);
          r.reader.close();
        }
        readers.clear();
        watermark = Watermarks.END;
        return Status.DONE;
      }
      int emitted = 0;
      int idleInARow = 0;
      while (emitted < maxElements && !readers.isEmpty() && idleInARow < readers.size()) {
        next %= readers.size();
        Reader<T> r = readers.get(next++);
        boolean available = !r.exhausted() && (r.started ? r.reader.advance() : start(r));
        if (available) {
          idleInARow = 0;
          r.readSinceCheckpoint = true;
          if (emitCurrent(r.reader)) {
            emitted++;
            r.records++;
          }
        } else {
          idleInARow++;
        }
      }
      updateWatermark();
      if (readers.isEmpty()) {
        watermark = Watermarks.END;
        return Status.DONE;
      }
      if (emitted == maxElements) {
        backoff = 1;
        return Status.ACTIVE;
      }
      backoff = emitted > 0 ? 1 : Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
      wakeUp = System.currentTimeMillis() + backoff;
      for (Reader<T> r : readers) {
        wakeUp = Math.min(wakeUp, r.deadline);
      }
      return Status.IDLE;
    }
  }

  private boolean start(Reader<T> r) throws Exception {
    r.started = true;
    if (limits != null && limits.maxReadTime() != null) {
      r.deadline = System.currentTimeMillis() + limits.maxReadTime().getMillis();
    }
    return r.reader.start();
  }

  /** Emits the reader's current record; false when it is a duplicate of one already emitted. */
  private boolean emitCurrent(UnboundedSource.UnboundedReader<T> reader) throws Exception {
    if (dedup) {
      long now = System.currentTimeMillis();
      Iterator<Map.Entry<EncodedKey, Long>> oldest = seenIds.entrySet().iterator();
      while (oldest.hasNext() && oldest.next().getValue() < now - DEDUP_MILLIS) {
        oldest.remove();
      }
      if (seenIds.putIfAbsent(EncodedKey.ofBytes(reader.getCurrentRecordId()), now) != null) {
        return false;
      }
    }
    context.output(0).emit(WindowedValue.timestampedValueInGlobalWindow(reader.getCurrent(), reader.getCurrentTimestamp()));
    return true;
  }

  /** The minimum of the readers' watermarks; readers at the end of time are finished and closed. */
  private void updateWatermark() throws Exception {
    long min = Watermarks.END;
    Iterator<Reader<T>> it = readers.iterator();
    while (it.hasNext()) {
      Reader<T> r = it.next();
      if (!r.started) {
        min = Watermarks.MIN;
        continue;
      }
      long readerWatermark = BeamTime.toWatermark(r.reader.getWatermark());
      if (r.exhausted() || !r.reader.getWatermark().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        checkpoint(r);
        r.reader.close();
        it.remove();
        continue;
      }
      min = Math.min(min, readerWatermark);
    }
    // A reader's watermark may step back; ours never does.
    watermark = Math.max(watermark, readers.isEmpty() ? Watermarks.END : min);
  }

  private void checkpoint(Reader<T> r) throws Exception {
    if (r.readSinceCheckpoint) {
      r.readSinceCheckpoint = false;
      CheckpointMark mark = r.reader.getCheckpointMark();
      mark.finalizeCheckpoint();
    }
  }

  @Override
  public long wakeUpTime() {
    return wakeUp;
  }

  @Override
  public void finishBundle() throws Exception {
    try (Closeable scope = metrics.enter()) {
      long backlog = 0;
      boolean known = true;
      for (Reader<T> r : readers) {
        checkpoint(r);
        long bytes = r.started ? r.reader.getSplitBacklogBytes() : UnboundedSource.UnboundedReader.BACKLOG_UNKNOWN;
        if (bytes == UnboundedSource.UnboundedReader.BACKLOG_UNKNOWN) {
          known = false;
        } else {
          backlog += bytes;
        }
      }
      if (known && !readers.isEmpty()) {
        SourceMetrics.backlogBytes().set(backlog);
      }
    }
    metrics.commit();
  }

  @Override
  public long outputWatermark() {
    return watermark;
  }

  @Override
  public void close() throws Exception {
    metrics.abort();
    Exception failure = null;
    for (Reader<T> r : readers) {
      try {
        r.reader.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
