package dev.millrace.runner;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An unbounded source that asks for deduplication gets each record id once, whichever split read it
 * and however often, read unbounded or with a limit.
 */
@Timeout(120)
class DeduplicatingReadTest {
  private static final int RECORDS = 300;

  /**
   * Two splits that each give the records 0..RECORDS-1 twice in a row, with the record's value as
   * its id: every id comes four times, from both splits.
   */
  static final class DuplicatingSource
      extends UnboundedSource<Long, UnboundedSource.CheckpointMark> {
    @Override
    public List<DuplicatingSource> split(int desiredNumSplits, PipelineOptions options) {
      return List.of(new DuplicatingSource(), new DuplicatingSource());
    }

    @Override
    public UnboundedReader<Long> createReader(
        PipelineOptions options, CheckpointMark checkpointMark) {
      return new UnboundedReader<>() {
        private int position = -1;

        @Override
        public boolean start() {
          return advance();
        }

        @Override
        public boolean advance() {
          if (position + 1 >= 2 * RECORDS) {
            return false;
          }
          position++;
          return true;
        }

        @Override
        public Long getCurrent() {
          if (position < 0) {
            throw new NoSuchElementException();
          }
          return (long) (position / 2);
        }

        @Override
        public Instant getCurrentTimestamp() {
          return new Instant(getCurrent());
        }

        @Override
        public byte[] getCurrentRecordId() {
          try {
            return CoderUtils.encodeToByteArray(VarLongCoder.of(), getCurrent());
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }

        @Override
        public Instant getWatermark() {
          return position + 1 >= 2 * RECORDS
              ? BoundedWindow.TIMESTAMP_MAX_VALUE
              : new Instant(Math.max(0, position / 2));
        }

        @Override
        public CheckpointMark getCheckpointMark() {
          return CheckpointMark.NOOP_CHECKPOINT_MARK;
        }

        @Override
        public UnboundedSource<Long, ?> getCurrentSource() {
          return DuplicatingSource.this;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public boolean requiresDeduping() {
      return true;
    }

    @Override
    public Coder<CheckpointMark> getCheckpointMarkCoder() {
      return null;
    }

    @Override
    public Coder<Long> getOutputCoder() {
      return VarLongCoder.of();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"unbounded", "limited by records", "limited by time"})
  void eachRecordIdIsDeliveredOnce(String read) {
    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(2);
    options.setCheckpointingInterval(0L);
    Pipeline p = Pipeline.create(options);
    Read.Unbounded<Long> unbounded = Read.from(new DuplicatingSource());
    PCollection<Long> records =
        switch (read) {
          case "unbounded" -> p.apply(unbounded);
          case "limited by records" -> p.apply(unbounded.withMaxNumRecords(4 * RECORDS));
          default -> p.apply(unbounded.withMaxReadTime(org.joda.time.Duration.standardSeconds(30)));
        };
    List<Long> expected =
        LongStream.range(0, RECORDS).boxed().collect(Collectors.toCollection(ArrayList::new));
    PAssert.that(records).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }
}
