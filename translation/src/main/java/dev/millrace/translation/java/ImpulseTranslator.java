package dev.millrace.translation.java;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.source.ImpulseOperator;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.values.PCollection;

/** Impulse runs in a vertex of parallelism 1: it is one element. */
final class ImpulseTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    PortRef op =
        context.startVertex(
            transform.getFullName(),
            1,
            new OperatorNode(transform.getFullName(), ImpulseOperator::new, 0, 1));
    PCollection<?> out = Translations.onlyOutput(transform);
    context.setProducer(out, new PortRef(op.vertex(), op.operator(), 0));
  }
}
