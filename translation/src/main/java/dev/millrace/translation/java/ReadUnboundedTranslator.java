package dev.millrace.translation.java;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.java.overrides.LimitedUnboundedRead;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.source.UnboundedReadOperator;
import java.io.Closeable;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/**
 * An unbounded read becomes a source vertex at full parallelism. The source is split once here,
 * into about as many splits as there are subtasks (a split is a reader that runs for the life of
 * the job), and each subtask reads every parallelism-th split, its readers side by side.
 *
 * <p>Beam's {@code BoundedReadFromUnboundedSource} ({@code withMaxNumRecords}, {@code
 * withMaxReadTime}) is translated here too, whole, as a read with limits: its own expansion reads
 * up to a hundred shards one after the other in a DoFn, each for the whole read time, where the
 * readers of one subtask here read at the same time. Beam gives that transform no getters, so its
 * three fields are read reflectively ({@link LimitedUnboundedRead}); when that fails (a later Beam
 * renamed them) the expansion is translated instead.
 */
final class ReadUnboundedTranslator implements TransformTranslator {
  private final boolean limited;

  private ReadUnboundedTranslator(boolean limited) {
    this.limited = limited;
  }

  /** For Beam's primitive unbounded read. */
  static ReadUnboundedTranslator unlimited() {
    return new ReadUnboundedTranslator(false);
  }

  /** For BoundedReadFromUnboundedSource, or null when its fields cannot be read. */
  static ReadUnboundedTranslator limitedIfReadable(AppliedPTransform<?, ?, ?> transform) {
    return LimitedUnboundedRead.of(transform.getTransform()) == null
        ? null
        : new ReadUnboundedTranslator(true);
  }

  /**
   * As many splits as subtasks, but for a read of a given number of records one per 10,000 of them
   * (at least one), as Beam's own expansion of the limited read asks for: a few records spread over
   * many readers cost more than they gain.
   */
  static int desiredSplits(UnboundedReadOperator.Limits limits, int parallelism) {
    if (limits == null || limits.maxRecords() == Long.MAX_VALUE) {
      return parallelism;
    }
    return (int) Math.min(parallelism, limits.maxRecords() / 10_000 + 1);
  }

  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context)
      throws Exception {
    translateTyped(transform, context);
  }

  @SuppressWarnings("unchecked")
  private <T> void translateTyped(AppliedPTransform<?, ?, ?> transform, TranslationContext context)
      throws Exception {
    UnboundedSource<T, ?> source;
    UnboundedReadOperator.Limits limits = null;
    if (limited) {
      LimitedUnboundedRead read = LimitedUnboundedRead.of(transform.getTransform());
      source = (UnboundedSource<T, ?>) read.source;
      limits = read.limits;
    } else {
      source =
          (UnboundedSource<T, ?>)
              ((SplittableParDo.PrimitiveUnboundedRead<T>) transform.getTransform()).getSource();
    }
    UnboundedReadOperator.Limits finalLimits = limits;
    String name = transform.getFullName();
    JobMetrics metrics = context.metrics();
    JobMetrics.BundleMetrics splitMetrics = metrics.forStep(name);
    List<? extends UnboundedSource<T, ?>> splits;
    try (Closeable scope = splitMetrics.enter()) {
      splits = source.split(desiredSplits(limits, context.parallelism()), context.options());
      if (splits == null || splits.isEmpty()) {
        splits = List.of(source);
      }
    }
    splitMetrics.commit();
    List<? extends UnboundedSource<T, ?>> finalSplits = splits;
    PortRef op =
        context.startVertex(
            name,
            context.parallelism(),
            new OperatorNode(
                name,
                () ->
                    new UnboundedReadOperator<>(
                        finalSplits, finalLimits, context.options(), metrics.forStep(name)),
                0,
                1));
    context.setProducer(
        Translations.onlyOutput(transform), new PortRef(op.vertex(), op.operator(), 0));
  }
}
