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
 * runners-core's GBKIntoKeyedWorkItems, the exchange before a splittable DoFn: a HASH exchange on
 * the pair's unique key into a vertex of its own. It only routes; the splittable operator that must
 * follow it in the same vertex wraps each pair in its keyed work item itself, so nothing is
 * allocated for the wrapping between the two.
 */
final class KeyedWorkItemsTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    PCollection<?> input = Translations.mainInput(transform);
    KvCoder<?, ?> coder = (KvCoder<?, ?>) input.getCoder();
    String name = transform.getFullName();
    PortRef in =
        context.startVertex(
            name, context.parallelism(), new OperatorNode(name, () -> new UnionOperator(1), 1, 1));
    context.exchange(input, in, EdgeKind.HASH, context.keyGroupsOf(coder.getKeyCoder()));
    PCollection<?> output = Translations.onlyOutput(transform);
    context.setProducer(output, new PortRef(in.vertex(), in.operator(), 0));
    context.markUnwrappedKeyedWorkItems(output);
  }
}
