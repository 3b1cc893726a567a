package dev.millrace.translation.portable;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.operators.UnionOperator;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;

/**
 * Reshuffle and Redistribute of a portable pipeline, run by the runner instead of their SDK
 * expansion: elements move across subtasks (by key when the input is keyed and the transform asks
 * for it, round robin otherwise) without grouping, so timestamps, windows and panes stay as they
 * are, as the Java runner's exchange does.
 */
final class ExchangeTranslator implements PortableTransformTranslator {
  private final boolean byKey;

  ExchangeTranslator(boolean byKey) {
    this.byKey = byKey;
  }

  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context) {
    String name = transform.getTransform().getUniqueName();
    String input = Translated.onlyInput(transform);
    PortRef in =
        context.startVertex(
            name,
            context.plan().parallelism(),
            new OperatorNode(name, () -> new UnionOperator(1), 1, 1));
    Coder<?> elements =
        ((WindowedValue.WindowedValueCoder<?>) context.wireCoder(input)).getValueCoder();
    if (byKey && elements instanceof KvCoder<?, ?> kv) {
      context.exchange(input, in, EdgeKind.HASH, context.plan().keyGroupsOf(kv.getKeyCoder()));
    } else {
      context.exchange(input, in, EdgeKind.REBALANCE, null);
    }
    context.setProducer(
        Translated.onlyOutput(transform), new PortRef(in.vertex(), in.operator(), 0));
  }
}
