package dev.millrace.translation.portable;

import java.util.List;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;

/** Turns one runner-side transform of a fused portable pipeline into operators and edges. */
interface PortableTransformTranslator {
  void translate(PTransformNode transform, PortableTranslationContext context) throws Exception;

  /** What in {@code transform} Millrace cannot run yet; empty when it can run all of it. */
  default List<String> problems(PTransformNode transform, PortableTranslationContext context)
      throws Exception {
    return List.of();
  }
}
