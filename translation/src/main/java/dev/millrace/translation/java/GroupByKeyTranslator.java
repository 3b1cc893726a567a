package dev.millrace.translation.java;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.StreamingGroupByKey;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.grouping.BoundedGroupByKeyOperator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.values.PCollection;

/** GroupByKey: a HASH exchange by key group into a vertex headed by the grouping operator. */
final class GroupByKeyTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    PCollection<?> input = Translations.mainInput(transform);
    if (!(input.getCoder() instanceof KvCoder<?, ?> coder)) {
      throw new IllegalArgumentException(
          transform.getFullName() + ": GroupByKey needs a KvCoder input, got " + input.getCoder());
    }
    String name = transform.getFullName();
    PortRef in =
        context.startVertex(
            name,
            context.parallelism(),
            new OperatorNode(
                name,
                !context.streaming() && groupsOnceAtTheEnd(input)
                    ? () ->
                        new BoundedGroupByKeyOperator<>(
                            coder,
                            input.getWindowingStrategy(),
                            context.stateBackend(),
                            context.groupingMemory())
                    : () ->
                        StreamingGroupByKey.operator(
                            coder,
                            input.getWindowingStrategy(),
                            context.options(),
                            context.stateBackend()),
                1,
                1));
    context.exchange(input, in, EdgeKind.HASH, context.keyGroupsOf(coder.getKeyCoder()));
    context.setProducer(
        Translations.onlyOutput(transform), new PortRef(in.vertex(), in.operator(), 0));
  }

  /**
   * Whether {@link BoundedGroupByKeyOperator} can group this input: bounded (all of it is known
   * before anything is emitted) and the default trigger (one on-time pane per window, whatever the
   * arrival order).
   */
  private static boolean groupsOnceAtTheEnd(PCollection<?> input) {
    return input.isBounded() == PCollection.IsBounded.BOUNDED
        && input.getWindowingStrategy().getTrigger() instanceof DefaultTrigger;
  }
}
