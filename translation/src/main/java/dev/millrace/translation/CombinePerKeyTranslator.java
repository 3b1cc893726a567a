package dev.millrace.translation;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.operators.CombineSpec;
import dev.millrace.translation.operators.FinalCombineOperator;
import dev.millrace.translation.operators.PartialCombineOperator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Combine.perKey with combiner lifting: a partial combine fused before the HASH exchange, the
 * final merge after it. Lifted only where one on-time pane per window is the whole answer
 * (bounded input in a batch job, default trigger, non-merging windows, no side inputs); otherwise
 * the composite's own expansion (GroupByKey, then a ParDo) is translated instead.
 */
final class CombinePerKeyTranslator implements TransformTranslator {

  static boolean canLift(AppliedPTransform<?, ?, ?> transform) {
    if (!(transform.getTransform() instanceof Combine.PerKey<?, ?, ?> combine)) {
      return false;
    }
    PCollection<?> input = Translations.mainInput(transform);
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    return combine.getSideInputs().isEmpty()
        && input.isBounded() == PCollection.IsBounded.BOUNDED
        && input.getCoder() instanceof KvCoder
        && windowing.getTrigger() instanceof DefaultTrigger
        && windowing.getWindowFn().isNonMerging();
  }

  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    translateTyped(transform, context);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private <K, InputT, AccumT, OutputT> void translateTyped(
      AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    Combine.PerKey<K, InputT, OutputT> combine = (Combine.PerKey<K, InputT, OutputT>) transform.getTransform();
    PCollection<?> input = Translations.mainInput(transform);
    KvCoder<K, InputT> coder = (KvCoder<K, InputT>) input.getCoder();
    CombineSpec<K, InputT, AccumT, OutputT> spec =
        new CombineSpec<>(
            (org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn) combine.getFn(),
            coder.getKeyCoder(),
            input.getWindowingStrategy().getTimestampCombiner(),
            context.options());
    String name = transform.getFullName();
    PortRef partial =
        context.fuse(input, new OperatorNode(name + "/Partial", () -> new PartialCombineOperator<>(spec), 1, 1));
    PortRef merged =
        context.startVertex(
            name, context.parallelism(), new OperatorNode(name + "/Merge", () -> new FinalCombineOperator<>(spec), 1, 1));
    PortRef accumulators = new PortRef(partial.vertex(), partial.operator(), 0);
    context.exchange(accumulators, merged, EdgeKind.HASH, context.keyGroupsOf(coder.getKeyCoder()));
    context.setProducer(Translations.onlyOutput(transform), new PortRef(merged.vertex(), merged.operator(), 0));
  }
}
