package dev.millrace.translation.java.overrides;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.ValueWithRecordId;
import org.joda.time.Instant;

/**
 * An unbounded source that gives each record of another with its record id, so a source that asks
 * for deduplication ({@link UnboundedSource#requiresDeduping()}) can be read by Millrace's own read
 * and its records deduplicated by id after it. Everything else (splits, watermarks, checkpoint
 * marks, backlog) is the wrapped source's.
 */
final class RecordIdSource<T, MarkT extends UnboundedSource.CheckpointMark>
    extends UnboundedSource<ValueWithRecordId<T>, MarkT> {
  private final UnboundedSource<T, MarkT> source;

  RecordIdSource(UnboundedSource<T, MarkT> source) {
    this.source = source;
  }

  @Override
  public List<RecordIdSource<T, MarkT>> split(int desiredNumSplits, PipelineOptions options)
      throws Exception {
    List<RecordIdSource<T, MarkT>> splits = new ArrayList<>();
    for (UnboundedSource<T, MarkT> split : source.split(desiredNumSplits, options)) {
      splits.add(new RecordIdSource<>(split));
    }
    return splits;
  }

  @Override
  public UnboundedReader<ValueWithRecordId<T>> createReader(
      PipelineOptions options, MarkT checkpointMark) throws IOException {
    return new Reader(source.createReader(options, checkpointMark));
  }

  @Override
  public Coder<MarkT> getCheckpointMarkCoder() {
    return source.getCheckpointMarkCoder();
  }

  @Override
  public boolean requiresDeduping() {
    return false; // the ids this source gives are deduplicated after it
  }

  @Override
  public Coder<ValueWithRecordId<T>> getOutputCoder() {
    return ValueWithRecordId.ValueWithRecordIdCoder.of(source.getOutputCoder());
  }

  @Override
  public void validate() {
    source.validate();
  }

  private final class Reader extends UnboundedReader<ValueWithRecordId<T>> {
    private final UnboundedReader<T> reader;

    Reader(UnboundedReader<T> reader) {
      this.reader = reader;
    }

    @Override
    public boolean start() throws IOException {
      return reader.start();
    }

    @Override
    public boolean advance() throws IOException {
      return reader.advance();
    }

    @Override
    public ValueWithRecordId<T> getCurrent() throws NoSuchElementException {
      return new ValueWithRecordId<>(reader.getCurrent(), reader.getCurrentRecordId());
    }

    @Override
    public Instant getCurrentTimestamp() throws NoSuchElementException {
      return reader.getCurrentTimestamp();
    }

    @Override
    public byte[] getCurrentRecordId() throws NoSuchElementException {
      return reader.getCurrentRecordId();
    }

    @Override
    public Instant getWatermark() {
      return reader.getWatermark();
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return reader.getCheckpointMark();
    }

    @Override
    public long getSplitBacklogBytes() {
      return reader.getSplitBacklogBytes();
    }

    @Override
    public long getTotalBacklogBytes() {
      return reader.getTotalBacklogBytes();
    }

    @Override
    public UnboundedSource<ValueWithRecordId<T>, ?> getCurrentSource() {
      return RecordIdSource.this;
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }
}
