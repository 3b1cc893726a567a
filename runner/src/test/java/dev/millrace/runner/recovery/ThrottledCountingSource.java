package dev.millrace.runner.recovery;

import java.io.IOException;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DelegateCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * Counts 0, 1, ... below {@code count} at about {@code perSecond} records a second, record i at
 * timestamp i * 10 ms, then reports the end of time. Its checkpoint mark is the next record, so a
 * reader made from a mark goes on exactly where the saved one was: the same records every run.
 */
final class ThrottledCountingSource
    extends UnboundedSource<Long, ThrottledCountingSource.Position> {
  private final long count;
  private final long perSecond;

  ThrottledCountingSource(long count, long perSecond) {
    this.count = count;
    this.perSecond = perSecond;
  }

  /** The highest position finalized in this JVM: everything before it was acknowledged. */
  static final AtomicLong FINALIZED_UP_TO = new AtomicLong();

  /** The next record to read. */
  record Position(long next) implements UnboundedSource.CheckpointMark {
    @Override
    public void finalizeCheckpoint() {
      FINALIZED_UP_TO.accumulateAndGet(next, Math::max);
    }
  }

  @Override
  public List<ThrottledCountingSource> split(int desiredNumSplits, PipelineOptions options) {
    return List.of(this);
  }

  @Override
  public UnboundedReader<Long> createReader(PipelineOptions options, Position mark) {
    return new Reader(mark == null ? 0 : mark.next());
  }

  @Override
  public Coder<Position> getCheckpointMarkCoder() {
    return DelegateCoder.of(VarLongCoder.of(), Position::next, Position::new);
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  private final class Reader extends UnboundedReader<Long> {
    private final long first;
    private long startedAt;
    private long current = -1;
    private long next;

    Reader(long next) {
      this.first = next;
      this.next = next;
    }

    @Override
    public boolean start() {
      startedAt = System.currentTimeMillis();
      return advance();
    }

    @Override
    public boolean advance() {
      long allowed = first + (System.currentTimeMillis() - startedAt) * perSecond / 1000 + 1;
      if (next >= count || next >= allowed) {
        return false;
      }
      current = next++;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current < 0) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(getCurrent() * 10);
    }

    @Override
    public Instant getWatermark() {
      return next >= count
          ? BoundedWindow.TIMESTAMP_MAX_VALUE
          : new Instant(Math.max(0, next * 10 - 1));
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return new Position(next);
    }

    @Override
    public UnboundedSource<Long, ?> getCurrentSource() {
      return ThrottledCountingSource.this;
    }

    @Override
    public void close() throws IOException {}
  }
}
