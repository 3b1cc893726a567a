package dev.millrace.translation.java;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.UnionOperator;
import dev.millrace.translation.operators.source.EmptySourceOperator;
import java.util.List;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * Flatten: one input fuses; several meet in a union vertex, one edge per input (an input listed
 * twice is fed twice); none is an empty source. Elements pass as they are, so inputs with different
 * coders need nothing special.
 */
final class FlattenTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    String name = transform.getFullName();
    List<PCollection<?>> inputs = List.copyOf(transform.getInputs().values());
    PCollection<?> output = Translations.onlyOutput(transform);
    if (inputs.isEmpty()) {
      PortRef op =
          context.startVertex(name, 1, new OperatorNode(name, EmptySourceOperator::new, 0, 1));
      context.setProducer(output, new PortRef(op.vertex(), op.operator(), 0));
      return;
    }
    int n = inputs.size();
    PortRef in;
    if (n == 1) {
      in = context.fuse(inputs.get(0), new OperatorNode(name, () -> new UnionOperator(1), 1, 1));
    } else {
      in =
          context.startVertex(
              name,
              context.parallelism(),
              new OperatorNode(name, () -> new UnionOperator(n), n, 1));
      for (int i = 0; i < n; i++) {
        context.exchange(
            inputs.get(i), new PortRef(in.vertex(), in.operator(), i), EdgeKind.FORWARD, null);
      }
    }
    context.setProducer(output, new PortRef(in.vertex(), in.operator(), 0));
  }
}
