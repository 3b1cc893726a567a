package dev.millrace.translation.java;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.source.BoundedReadOperator;
import java.io.Closeable;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/**
 * A bounded read becomes a source vertex at full parallelism. The source is split once here, into
 * about four splits per subtask, and each subtask reads every parallelism-th split.
 */
final class ReadBoundedTranslator implements TransformTranslator {
  private static final int SPLITS_PER_SUBTASK = 4;

  /** Bundle size asked for when a source cannot estimate its size. */
  private static final long UNKNOWN_SIZE_BUNDLE_BYTES = 64L << 20;

  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context)
      throws Exception {
    translateTyped(transform, context);
  }

  private <T> void translateTyped(AppliedPTransform<?, ?, ?> transform, TranslationContext context)
      throws Exception {
    @SuppressWarnings("unchecked")
    BoundedSource<T> source =
        ((SplittableParDo.PrimitiveBoundedRead<T>) transform.getTransform()).getSource();
    int parallelism = context.parallelism();
    String name = transform.getFullName();
    JobMetrics metrics = context.metrics();
    // Splitting runs user code, whose metrics count as the read step's.
    JobMetrics.BundleMetrics splitMetrics = metrics.forStep(name);
    List<? extends BoundedSource<T>> splits;
    try (Closeable scope = splitMetrics.enter()) {
      long size = source.getEstimatedSizeBytes(context.options());
      if (size < 0) {
        // An overflowing estimate: any bundle size we derived from it could mean billions of
        // splits.
        splits = List.of(source);
      } else {
        long desired =
            size == 0
                ? UNKNOWN_SIZE_BUNDLE_BYTES
                : Math.max(size / ((long) parallelism * SPLITS_PER_SUBTASK), 1);
        splits = source.split(desired, context.options());
        if (splits == null || splits.isEmpty()) {
          splits = List.of(source);
        }
      }
    }
    splitMetrics.commit();
    List<? extends BoundedSource<T>> finalSplits = splits;
    PortRef op =
        context.startVertex(
            name,
            parallelism,
            new OperatorNode(
                name,
                () ->
                    new BoundedReadOperator<>(
                        finalSplits, context.options(), metrics.forStep(name)),
                0,
                1));
    context.setProducer(
        Translations.onlyOutput(transform), new PortRef(op.vertex(), op.operator(), 0));
  }
}
