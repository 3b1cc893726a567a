package dev.millrace.translation.java.overrides;

import java.util.List;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/** The rewrites Millrace applies to a Java pipeline before translating it. */
public final class PipelineOverrides {
  private PipelineOverrides() {}

  /**
   * @param streamingRequested {@code --streaming}: the job runs the streaming way even on bounded
   *     input
   */
  public static void apply(Pipeline pipeline, boolean streamingRequested) {
    // Sources that ask for deduplication are read with their record ids and deduplicated by a
    // keyed step; before the reads below become primitive, so the new reads become primitive too.
    pipeline.replaceAll(List.of(DeduplicatingReads.unbounded(), DeduplicatingReads.limited()));
    // Reads run as primitive sources, not through the splittable-DoFn wrapper.
    SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReads(pipeline);
    pipeline.replaceAll(
        List.of(
            PTransformOverride.of(
                PipelineOverrides::isSplittableParDo, new SplittableParDo.OverrideFactory<>()),
            // Every splittable DoFn, bounded or not, runs through runners-core's ProcessFn with
            // its residuals in keyed state: checkpoints, resumption, watermark estimators and
            // bundle finalization work the same for both.
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedBounded(),
                new SplittableParDoViaKeyedWorkItems.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedUnbounded(),
                new SplittableParDoViaKeyedWorkItems.OverrideFactory<>()),
            // GroupIntoBatches.withShardedKey(): shards chosen by Millrace, not by worker thread.
            ShardedKeyBatches.override(streamingRequested)));
  }

  /**
   * What {@code PTransformMatchers.splittableParDo()} matches in a Java pipeline, read from the
   * DoFn's signature. That matcher serializes every ParDo's DoFn into its payload to find out,
   * which was a tenth of a short job's cold start.
   */
  private static boolean isSplittableParDo(AppliedPTransform<?, ?, ?> application) {
    return application.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo
        && DoFnSignatures.isSplittable(parDo.getFn());
  }
}
