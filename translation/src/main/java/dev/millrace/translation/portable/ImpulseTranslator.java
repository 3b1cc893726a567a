package dev.millrace.translation.portable;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.operators.source.ImpulseOperator;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;

/** Impulse: one empty byte array in the global window, from a vertex of parallelism 1. */
final class ImpulseTranslator implements PortableTransformTranslator {
  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context) {
    String name = transform.getTransform().getUniqueName();
    PortRef op = context.startVertex(name, 1, new OperatorNode(name, ImpulseOperator::new, 0, 1));
    String output = Translated.onlyOutput(transform);
    context.setProducer(output, new PortRef(op.vertex(), op.operator(), 0));
  }
}
