package dev.millrace.translation.portable;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.StreamingGroupByKey;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.grouping.BoundedGroupByKeyOperator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * GroupByKey of a portable pipeline: the same grouping operators as the Java runner's, behind a
 * HASH exchange on the key's wire encoding (a key coder only the SDK knows is grouped by its bytes,
 * which its deterministic encoding makes equal for equal keys).
 */
final class GroupByKeyTranslator implements PortableTransformTranslator {
  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context) {
    String name = transform.getTransform().getUniqueName();
    String input = Translated.onlyInput(transform);
    KvCoder<?, ?> coder = context.kvCoder(input, name);
    WindowingStrategy<?, ?> windowing = context.windowingStrategy(input);
    TranslationContext plan = context.plan();
    boolean onceAtTheEnd =
        !plan.streaming()
            && context.isBounded(input)
            && windowing.getTrigger() instanceof DefaultTrigger;
    PortRef in =
        context.startVertex(
            name,
            plan.parallelism(),
            new OperatorNode(
                name,
                onceAtTheEnd
                    ? () ->
                        new BoundedGroupByKeyOperator<>(
                            coder, windowing, plan.stateBackend(), plan.groupingMemory())
                    : () ->
                        StreamingGroupByKey.operator(
                            coder, windowing, plan.options(), plan.stateBackend()),
                1,
                1));
    context.exchange(input, in, EdgeKind.HASH, plan.keyGroupsOf(coder.getKeyCoder()));
    context.setProducer(
        Translated.onlyOutput(transform), new PortRef(in.vertex(), in.operator(), 0));
  }
}
