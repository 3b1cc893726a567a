package dev.millrace.translation.java.overrides;

import java.util.Map;
import org.apache.beam.sdk.io.BoundedReadFromUnboundedSource;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.ValueWithRecordId;

/**
 * Reads of unbounded sources that ask for deduplication ({@link
 * UnboundedSource#requiresDeduping()}): the source is read with each record's id ({@link
 * RecordIdSource}), records are deduplicated by id in a keyed step after the read, and the ids are
 * dropped. Keyed by id, a record is delivered once whichever split or subtask read it, and the ids
 * remembered live in keyed state (RocksDB in streaming), not on the heap of the reader. An
 * unbounded read uses Beam's {@link Deduplicate} (ids forgotten ten minutes of processing time
 * after they were seen); a read with limits, which is bounded, uses {@link Distinct}, as Beam's own
 * expansion of it does.
 */
final class DeduplicatingReads {
  private DeduplicatingReads() {}

  static PTransformOverride unbounded() {
    return PTransformOverride.of(
        application ->
            application.getTransform() instanceof Read.Unbounded<?> read
                && read.getSource().requiresDeduping(),
        new UnboundedFactory<>());
  }

  static PTransformOverride limited() {
    return PTransformOverride.of(
        application -> {
          if (!(application.getTransform() instanceof BoundedReadFromUnboundedSource)) {
            return false;
          }
          LimitedUnboundedRead limited = LimitedUnboundedRead.of(application.getTransform());
          return limited != null && limited.source.requiresDeduping();
        },
        new LimitedFactory<>());
  }

  /** Read, deduplicate by record id, strip the ids. */
  private static final class UnboundedRead<T> extends PTransform<PBegin, PCollection<T>> {
    private final UnboundedSource<T, ?> source;

    UnboundedRead(UnboundedSource<T, ?> source) {
      this.source = source;
    }

    @Override
    public PCollection<T> expand(PBegin input) {
      return input
          .apply("Read with record ids", Read.from(new RecordIdSource<>(source)))
          .apply(
              "Deduplicate",
              Deduplicate.<ValueWithRecordId<T>, byte[]>withRepresentativeValueFn(
                      ValueWithRecordId::getId)
                  .withRepresentativeType(TypeDescriptor.of(byte[].class)))
          .apply("StripIds", ParDo.of(new ValueWithRecordId.StripIdsDoFn<>()))
          .setCoder(source.getOutputCoder());
    }
  }

  /** Read within limits, keep one record per id, strip the ids. */
  private static final class LimitedRead<T> extends PTransform<PBegin, PCollection<T>> {
    private final UnboundedSource<T, ?> source;
    private final long maxNumRecords;
    private final org.joda.time.Duration maxReadTime;

    LimitedRead(
        UnboundedSource<T, ?> source, long maxNumRecords, org.joda.time.Duration maxReadTime) {
      this.source = source;
      this.maxNumRecords = maxNumRecords;
      this.maxReadTime = maxReadTime;
    }

    @Override
    public PCollection<T> expand(PBegin input) {
      BoundedReadFromUnboundedSource<ValueWithRecordId<T>> read =
          Read.from(new RecordIdSource<>(source)).withMaxNumRecords(maxNumRecords);
      if (maxReadTime != null) {
        read = read.withMaxReadTime(maxReadTime);
      }
      return input
          .apply("Read with record ids", read)
          .apply(
              "Deduplicate",
              Distinct.<ValueWithRecordId<T>, byte[]>withRepresentativeValueFn(
                      ValueWithRecordId::getId)
                  .withRepresentativeType(TypeDescriptor.of(byte[].class)))
          .apply("StripIds", ParDo.of(new ValueWithRecordId.StripIdsDoFn<>()))
          .setCoder(source.getOutputCoder());
    }
  }

  private abstract static class Factory<T, TransformT extends PTransform<PBegin, PCollection<T>>>
      implements PTransformOverrideFactory<PBegin, PCollection<T>, TransformT> {
    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs, PCollection<T> newOutput) {
      return ReplacementOutputs.singleton(outputs, newOutput);
    }
  }

  private static final class UnboundedFactory<T> extends Factory<T, Read.Unbounded<T>> {
    @Override
    public PTransformReplacement<PBegin, PCollection<T>> getReplacementTransform(
        AppliedPTransform<PBegin, PCollection<T>, Read.Unbounded<T>> transform) {
      return PTransformReplacement.of(
          transform.getPipeline().begin(),
          new UnboundedRead<>(transform.getTransform().getSource()));
    }
  }

  private static final class LimitedFactory<T>
      extends Factory<T, BoundedReadFromUnboundedSource<T>> {
    @Override
    @SuppressWarnings("unchecked")
    public PTransformReplacement<PBegin, PCollection<T>> getReplacementTransform(
        AppliedPTransform<PBegin, PCollection<T>, BoundedReadFromUnboundedSource<T>> transform) {
      LimitedUnboundedRead limited = LimitedUnboundedRead.of(transform.getTransform());
      return PTransformReplacement.of(
          transform.getPipeline().begin(),
          new LimitedRead<>(
              (UnboundedSource<T, ?>) limited.source,
              limited.limits.maxRecords(),
              limited.limits.maxReadTime()));
    }
  }
}
