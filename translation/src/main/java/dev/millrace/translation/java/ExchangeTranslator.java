package dev.millrace.translation.java;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.UnionOperator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reshuffle and Redistribute: redistribute elements across subtasks (by key when the input is
 * keyed, round robin otherwise) without grouping; timestamps, windows and panes stay as they are.
 */
final class ExchangeTranslator implements TransformTranslator {
  private final boolean byKey;

  ExchangeTranslator(boolean byKey) {
    this.byKey = byKey;
  }

  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    PCollection<?> input = Translations.mainInput(transform);
    String name = transform.getFullName();
    PortRef in =
        context.startVertex(
            name, context.parallelism(), new OperatorNode(name, () -> new UnionOperator(1), 1, 1));
    if (byKey && input.getCoder() instanceof KvCoder<?, ?> coder) {
      context.exchange(input, in, EdgeKind.HASH, context.keyGroupsOf(coder.getKeyCoder()));
    } else {
      context.exchange(input, in, EdgeKind.REBALANCE, null);
    }
    context.setProducer(
        Translations.onlyOutput(transform), new PortRef(in.vertex(), in.operator(), 0));
  }
}
