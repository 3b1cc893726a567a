package dev.millrace.translation.java;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.dofn.DoFnOperator;
import dev.millrace.translation.operators.dofn.StableInputOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * A stateless ParDo is fused into the vertex of its input. With side inputs it heads a vertex of
 * its own: the main input comes FORWARD, each side input BROADCAST. A ParDo with state or timers
 * heads a vertex fed by a HASH exchange on its key, so each key lives in one subtask. A DoFn that
 * requires stable input has a {@link StableInputOperator} just before it, in the same vertex.
 */
final class ParDoTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    translateTyped(transform, context);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private <InputT, OutputT> void translateTyped(
      AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    ParDo.MultiOutput<InputT, OutputT> parDo =
        (ParDo.MultiOutput<InputT, OutputT>) transform.getTransform();
    PCollection<InputT> input = (PCollection<InputT>) Translations.mainInput(transform);
    DoFn<InputT, OutputT> fn = parDo.getFn();

    List<TupleTag<?>> outputTags =
        Translations.outputTags(parDo.getMainOutputTag(), parDo.getAdditionalOutputTags());
    Map<TupleTag<?>, Coder<?>> outputCoders = Translations.outputCoders(transform);
    List<PCollectionView<?>> sideInputs = new ArrayList<>(parDo.getSideInputs().values());
    DoFnSignature signature = DoFnSignatures.getSignature(fn.getClass());
    Coder<?> keyCoder = null;
    if (signature.usesState() || signature.usesTimers()) {
      if (!(input.getCoder() instanceof KvCoder<?, ?> kvCoder)) {
        throw new IllegalArgumentException(
            transform.getFullName()
                + ": a DoFn with state or timers needs KV input, got "
                + input.getCoder());
      }
      keyCoder = kvCoder.getKeyCoder();
    }
    DoFnOperator.Spec<InputT, OutputT> spec =
        new DoFnOperator.Spec<>(
            fn,
            context.options(),
            input.getCoder(),
            parDo.getMainOutputTag(),
            outputTags,
            outputCoders,
            input.getWindowingStrategy(),
            sideInputs,
            ParDo.getDoFnSchemaInformation(fn, input),
            parDo.getSideInputs(),
            keyCoder,
            context.stateBackend(),
            context.waitingMemory());
    String name = transform.getFullName();
    JobMetrics metrics = context.metrics();
    OperatorNode node =
        new OperatorNode(
            name,
            () -> new DoFnOperator<>(spec, metrics.forStep(name)),
            1 + sideInputs.size(),
            outputTags.size());
    // Where the main input arrives: the DoFn, or what keeps its input stable before it.
    boolean stableInput = signature.processElement().requiresStableInput();
    OperatorNode head =
        stableInput
            ? new OperatorNode(
                name + "/StableInput",
                () -> new StableInputOperator(Translations.windowedValueCoder(input)),
                1,
                1)
            : node;
    PortRef in;
    if (keyCoder != null) {
      in = context.startVertex(name, context.parallelism(), head);
      context.exchange(input, in, EdgeKind.HASH, context.keyGroupsOf(keyCoder));
    } else if (sideInputs.isEmpty()) {
      in = context.fuse(input, head);
    } else {
      PortRef producer = context.producerOf(input);
      in = context.startVertex(name, context.plan().parallelism(producer.vertex()), head);
      context.exchange(input, in, EdgeKind.FORWARD, null);
    }
    if (stableInput) {
      in = context.fuse(new PortRef(in.vertex(), in.operator(), 0), node); // from its output 0
    }
    if (!sideInputs.isEmpty()) {
      for (int i = 0; i < sideInputs.size(); i++) {
        PCollection<?> sidePc = sideInputs.get(i).getPCollection();
        context.sideInputExchange(sidePc, new PortRef(in.vertex(), in.operator(), 1 + i));
      }
    }
    for (Map.Entry<TupleTag<?>, PCollection<?>> out : transform.getOutputs().entrySet()) {
      int port = outputTags.indexOf(out.getKey());
      if (port < 0) {
        throw new IllegalStateException(
            "output " + out.getKey() + " of " + name + " is not declared");
      }
      context.setProducer(out.getValue(), new PortRef(in.vertex(), in.operator(), port));
    }
  }
}
