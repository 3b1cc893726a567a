package dev.millrace.translation.java;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.dofn.SplittableProcessOperator;
import dev.millrace.translation.operators.dofn.StableInputOperator;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.KeyedWorkItem;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * runners-core's ProcessElements (a splittable DoFn, bounded or not) fuses after the
 * GBKIntoKeyedWorkItems exchange that feeds it; side inputs come BROADCAST.
 */
final class SplittableProcessTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    translateTyped(transform, context);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private <InputT, OutputT, RestrictionT> void translateTyped(
      AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    SplittableParDoViaKeyedWorkItems.ProcessElements<InputT, OutputT, RestrictionT, ?, ?> process =
        (SplittableParDoViaKeyedWorkItems.ProcessElements<InputT, OutputT, RestrictionT, ?, ?>)
            transform.getTransform();
    PCollection<?> input = Translations.mainInput(transform);
    if (!context.isUnwrappedKeyedWorkItems(input)) {
      throw new IllegalStateException(
          transform.getFullName()
              + ": a splittable DoFn's input must come straight from GBKIntoKeyedWorkItems");
    }
    SplittableParDoViaKeyedWorkItems.ProcessFn<InputT, OutputT, RestrictionT, ?, ?> processFn =
        process.newProcessFn(process.getFn());
    WindowingStrategy<InputT, ?> pairWindowing = processFn.getInputWindowingStrategy();
    Coder pairCoder =
        WindowedValue.getFullCoder(
            KvCoder.of(
                ByteArrayCoder.of(),
                KvCoder.of(processFn.getElementCoder(), processFn.getRestrictionCoder())),
            pairWindowing.getWindowFn().windowCoder());

    List<TupleTag<?>> outputTags =
        Translations.outputTags(process.getMainOutputTag(), process.getAdditionalOutputTags());
    Map<TupleTag<?>, Coder<?>> outputCoders = Translations.outputCoders(transform);
    SplittableProcessOperator.Spec<InputT, OutputT, RestrictionT> spec =
        new SplittableProcessOperator.Spec<>(
            process,
            context.options(),
            (Coder<KeyedWorkItem<byte[], KV<InputT, RestrictionT>>>) input.getCoder(),
            pairCoder,
            processFn.getElementCoder(),
            processFn.getRestrictionCoder(),
            pairWindowing.getWindowFn().windowCoder(),
            pairWindowing.getAllowedLateness(),
            input.getWindowingStrategy(),
            outputTags,
            outputCoders,
            context.stateBackend(),
            context.waitingMemory());
    String name = transform.getFullName();
    JobMetrics metrics = context.metrics();
    List<PCollectionView<?>> sideInputs = process.getSideInputs();
    PortRef from = context.producerOf(input);
    if (DoFnSignatures.getSignature(process.getFn().getClass())
        .processElement()
        .requiresStableInput()) {
      PortRef stable =
          context.fuse(
              from,
              new OperatorNode(
                  name + "/StableInput", () -> new StableInputOperator(pairCoder), 1, 1));
      from = new PortRef(stable.vertex(), stable.operator(), 0);
    }
    PortRef in =
        context.fuse(
            from,
            new OperatorNode(
                name,
                () -> new SplittableProcessOperator<>(spec, metrics.forStep(name)),
                1 + sideInputs.size(),
                outputTags.size()));
    for (int i = 0; i < sideInputs.size(); i++) {
      context.sideInputExchange(
          sideInputs.get(i).getPCollection(), new PortRef(in.vertex(), in.operator(), 1 + i));
    }
    for (Map.Entry<TupleTag<?>, PCollection<?>> out : transform.getOutputs().entrySet()) {
      context.setProducer(
          out.getValue(),
          new PortRef(in.vertex(), in.operator(), outputTags.indexOf(out.getKey())));
    }
  }
}
