package dev.millrace.translation.operators.source;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.keyed.BeamTime;
import dev.millrace.state.keyed.SnapshotCoding;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.AwaitingCheckpoint;
import dev.millrace.translation.operators.Closer;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.CheckpointMark;
import org.apache.beam.sdk.metrics.SourceMetrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * Reads the splits of an unbounded source that belong to this subtask (split i goes to subtask i
 * modulo parallelism), one reader per split, round robin. The output watermark is the minimum of
 * the readers' watermarks; a reader whose watermark reaches the end of time is done. When no reader
 * has anything, the source is idle and asks to be polled again after a back-off (1 ms, doubling up
 * to {@value #MAX_BACKOFF_MILLIS} ms), so an idle stream costs a few polls a second.
 *
 * <p>At the end of each bundle (the engine's commit point) each reader that produced something is
 * asked for its checkpoint mark, which is finalized at once: there is no durable checkpoint yet for
 * a restart to go back to, so the bundle's commit is the last moment a record is ours to lose. The
 * readers' backlog is reported as Beam's {@link SourceMetrics#backlogBytes()} gauge.
 *
 * <p>When the job is drained, the readers are checkpointed and closed and the output ends.
 *
 * <p>With {@link Limits} it reads a bounded amount (Beam's {@code withMaxNumRecords} / {@code
 * withMaxReadTime}): each reader stops after its share of the records or its read time, all readers
 * at once, and the output is complete when the last one stops.
 */
public final class UnboundedReadOperator<T> implements SourceOperator {
  private static final long MAX_BACKOFF_MILLIS = 128;

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
  private OperatorContext context;
  private final List<Reader<T>> readers = new ArrayList<>();
  private int next;
  private long backoff = 1;
  private long wakeUp;
  private long watermark = Watermarks.MIN;
  private boolean opened;

  /**
   * With checkpoints: marks to finalize once a checkpoint that saved them completes (those of
   * readers closed since the last snapshot, and every open reader's at each snapshot).
   */
  private final AwaitingCheckpoint<CheckpointMark> marks = new AwaitingCheckpoint<>();

  private static final class Reader<T> {
    final int split;
    final UnboundedSource.UnboundedReader<T> reader;
    final long maxRecords;
    boolean started;
    boolean readSinceCheckpoint;
    long records;
    long deadline = Long.MAX_VALUE;

    Reader(int split, UnboundedSource.UnboundedReader<T> reader, long maxRecords) {
      this.split = split;
      this.reader = reader;
      this.maxRecords = maxRecords;
    }

    boolean exhausted() {
      return records >= maxRecords || System.currentTimeMillis() >= deadline;
    }
  }

  public UnboundedReadOperator(
      List<? extends UnboundedSource<T, ?>> splits,
      PipelineOptions options,
      JobMetrics.BundleMetrics metrics) {
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
    if (!splits.isEmpty() && splits.get(0).requiresDeduping()) {
      // The translation reads such a source with its record ids and deduplicates after the read.
      throw new IllegalArgumentException(
          splits.get(0) + " requires deduping, which a keyed step after the read does");
    }
  }

  @Override
  public void open(OperatorContext context) {
    this.context = context;
    metrics.bind(context.subtaskIndex());
  }

  private void openReaders() throws Exception {
    opened = true;
    for (int i = context.subtaskIndex(); i < splits.size(); i += context.parallelism()) {
      long records = maxRecordsOf(i);
      if (records > 0) {
        readers.add(new Reader<>(i, splits.get(i).createReader(options, null), records));
      }
    }
  }

  private long maxRecordsOf(int split) {
    return limits == null
        ? Long.MAX_VALUE
        : Limits.recordsOfSplit(limits.maxRecords(), splits.size(), split);
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
          checkpoint(r, true);
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
          emitCurrent(r.reader);
          emitted++;
          r.records++;
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

  private void emitCurrent(UnboundedSource.UnboundedReader<T> reader) throws Exception {
    context
        .output(0)
        .emit(
            WindowedValue.timestampedValueInGlobalWindow(
                reader.getCurrent(), reader.getCurrentTimestamp()));
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
        checkpoint(r, true);
        r.reader.close();
        it.remove();
        continue;
      }
      min = Math.min(min, readerWatermark);
    }
    // A reader's watermark may step back; ours never does.
    watermark = Math.max(watermark, readers.isEmpty() ? Watermarks.END : min);
  }

  /**
   * Acknowledges what the reader read so far: at once, or with checkpoints on, once a checkpoint
   * that saved the reader's position completes. Called for live readers at every bundle end, and
   * for a reader about to close.
   */
  private void checkpoint(Reader<T> r, boolean closing) throws Exception {
    if (context.isCheckpointing()) {
      if (closing && r.started) {
        marks.add(r.reader.getCheckpointMark());
      }
      return;
    }
    if (r.readSinceCheckpoint) {
      r.readSinceCheckpoint = false;
      CheckpointMark mark = r.reader.getCheckpointMark();
      mark.finalizeCheckpoint();
    }
  }

  @Override
  public boolean isCheckpointable() {
    return true;
  }

  /** Marks of readers that closed (drained, or at the end of their input) wait to be finalized. */
  @Override
  public boolean awaitsCheckpoint() {
    return !marks.isEmpty();
  }

  /**
   * Saves, per split still read here, its checkpoint mark (its position). The marks are finalized
   * once the checkpoint completes, never before.
   */
  @Override
  public void snapshotState(SnapshotWriter out) throws Exception {
    DataOutputStream data = out.data();
    data.writeBoolean(opened);
    data.writeLong(watermark);
    data.writeInt(readers.size());
    for (Reader<T> r : readers) {
      data.writeInt(r.split);
      data.writeLong(r.records);
      data.writeBoolean(r.started);
      if (r.started) {
        CheckpointMark mark = r.reader.getCheckpointMark();
        marks.add(mark);
        SnapshotCoding.write(data, markCoder(splits.get(r.split)), mark);
      }
    }
    // Record ids seen, in the layout of format 1: none since deduplication moved to a keyed step.
    data.writeInt(0);
    metrics.committed().snapshot(data);
    marks.snapshotTaken(out.checkpointId());
  }

  /**
   * Reopens every split that was still read from its saved mark. The checkpoint they come from is
   * complete, so its marks are finalized right away.
   */
  @Override
  public void restoreState(SnapshotReader in) throws Exception {
    DataInputStream data = in.data();
    opened = data.readBoolean();
    watermark = data.readLong();
    int count = data.readInt();
    for (int i = 0; i < count; i++) {
      int split = data.readInt();
      long records = data.readLong();
      boolean started = data.readBoolean();
      UnboundedSource<T, CheckpointMark> source = asMarked(splits.get(split));
      CheckpointMark mark =
          started ? SnapshotCoding.read(data, source.getCheckpointMarkCoder()) : null;
      Reader<T> r = new Reader<>(split, source.createReader(options, mark), maxRecordsOf(split));
      r.records = records;
      readers.add(r);
      if (mark != null) {
        mark.finalizeCheckpoint();
      }
    }
    // Record ids an older checkpoint kept for deduplication, which a keyed step after the read does
    // now.
    int seen = data.readInt();
    for (int i = 0; i < seen; i++) {
      data.skipNBytes(data.readInt());
      data.readLong();
    }
    metrics.committed().restore(data);
  }

  @Override
  public void checkpointComplete(long checkpointId) throws Exception {
    try (Closeable scope = metrics.enter()) {
      for (CheckpointMark mark : marks.completed(checkpointId)) {
        mark.finalizeCheckpoint();
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> UnboundedSource<T, CheckpointMark> asMarked(UnboundedSource<T, ?> source) {
    return (UnboundedSource<T, CheckpointMark>) source;
  }

  private static <T> Coder<CheckpointMark> markCoder(UnboundedSource<T, ?> source) {
    return asMarked(source).getCheckpointMarkCoder();
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
        checkpoint(r, false);
        long bytes =
            r.started
                ? r.reader.getSplitBacklogBytes()
                : UnboundedSource.UnboundedReader.BACKLOG_UNKNOWN;
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

  /** The split whose reader's watermark is the lowest: it holds the source back. */
  @Override
  public String describeWatermarkHold() {
    Reader<T> slowest = null;
    for (Reader<T> r : readers) {
      if (slowest == null || r.reader.getWatermark().isBefore(slowest.reader.getWatermark())) {
        slowest = r;
      }
    }
    return slowest == null
        ? ""
        : "split "
            + slowest.split
            + " of "
            + splits.size()
            + " at "
            + slowest.reader.getWatermark();
  }

  @Override
  public void close() throws Exception {
    metrics.abort();
    Closer.closeAll(
        readers.stream().map(r -> (AutoCloseable) r.reader).toArray(AutoCloseable[]::new));
  }
}
