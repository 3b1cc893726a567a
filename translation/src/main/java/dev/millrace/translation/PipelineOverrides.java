package dev.millrace.translation;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.util.construction.SplittableParDoNaiveBounded;

/** The rewrites Millrace applies to a Java pipeline before translating it. */
final class PipelineOverrides {
  private PipelineOverrides() {}

  static void apply(Pipeline pipeline) {
    // Reads run as primitive sources, not through the splittable-DoFn wrapper.
    SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReads(pipeline);
    pipeline.replaceAll(
        List.of(
            PTransformOverride.of(PTransformMatchers.splittableParDo(), new SplittableParDo.OverrideFactory<>()),
            // Bounded splittable DoFns process each restriction whole; unbounded ones stay
            // primitive and are reported as unsupported.
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedBounded(),
                new SplittableParDoNaiveBounded.OverrideFactory<>())));
  }
}
