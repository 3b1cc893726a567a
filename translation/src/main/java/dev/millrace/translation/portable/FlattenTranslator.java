package dev.millrace.translation.portable;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.operators.UnionOperator;
import dev.millrace.translation.operators.source.EmptySourceOperator;
import java.util.List;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;

/** Flatten: one input fuses, several meet in a union vertex, none is an empty source. */
final class FlattenTranslator implements PortableTransformTranslator {
  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context) {
    String name = transform.getTransform().getUniqueName();
    List<String> inputs = List.copyOf(transform.getTransform().getInputsMap().values());
    String output = Translated.onlyOutput(transform);
    PortRef in;
    if (inputs.isEmpty()) {
      in = context.startVertex(name, 1, new OperatorNode(name, EmptySourceOperator::new, 0, 1));
    } else if (inputs.size() == 1) {
      in = context.fuse(inputs.get(0), new OperatorNode(name, () -> new UnionOperator(1), 1, 1));
    } else {
      int n = inputs.size();
      in =
          context.startVertex(
              name,
              context.plan().parallelism(),
              new OperatorNode(name, () -> new UnionOperator(n), n, 1));
      for (int i = 0; i < n; i++) {
        context.exchange(
            inputs.get(i), new PortRef(in.vertex(), in.operator(), i), EdgeKind.FORWARD, null);
      }
    }
    context.setProducer(output, new PortRef(in.vertex(), in.operator(), 0));
  }
}
