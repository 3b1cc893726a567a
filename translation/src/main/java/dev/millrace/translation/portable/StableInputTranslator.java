package dev.millrace.translation.portable;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.operators.dofn.StableInputOperator;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;

/**
 * Keeps the input of a DoFn that requires stable input (Beam's {@code @RequiresStableInput}, {@code
 * requires_stable_input} in its ParDo payload) stable across restarts. Before fusion, a runner-side
 * transform of its own URN is put in front of each such ParDo; the fuser starts a new stage at it,
 * so the DoFn comes first in its stage and nothing before it is run again on a restore. Here it
 * becomes a {@link StableInputOperator} behind the producer of its input.
 */
final class StableInputTranslator implements PortableTransformTranslator {
  /** Millrace's own runner-side transform: hands its input on once a checkpoint holds it. */
  static final String URN = "beam:transform:millrace:stable_input:v1";

  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context) {
    String name = transform.getTransform().getUniqueName();
    String input = Translated.onlyInput(transform);
    var coder = context.wireCoder(input);
    PortRef in =
        context.fuse(input, new OperatorNode(name, () -> new StableInputOperator(coder), 1, 1));
    context.setProducer(
        Translated.onlyOutput(transform), new PortRef(in.vertex(), in.operator(), 0));
  }

  /**
   * {@code pipeline} with a stable-input transform before the main input of every ParDo that
   * requires stable input.
   */
  static RunnerApi.Pipeline insertBoundaries(RunnerApi.Pipeline pipeline) throws Exception {
    RunnerApi.Components components = pipeline.getComponents();
    RunnerApi.Components.Builder rewritten = null;
    for (Map.Entry<String, RunnerApi.PTransform> entry : components.getTransformsMap().entrySet()) {
      RunnerApi.PTransform transform = entry.getValue();
      if (!transform.getSpec().getUrn().equals(PTransformTranslation.PAR_DO_TRANSFORM_URN)) {
        continue;
      }
      RunnerApi.ParDoPayload parDo =
          RunnerApi.ParDoPayload.parseFrom(transform.getSpec().getPayload());
      if (!parDo.getRequiresStableInput()) {
        continue;
      }
      if (rewritten == null) {
        rewritten = components.toBuilder();
      }
      String mainTag = null;
      for (String tag : transform.getInputsMap().keySet()) {
        if (!parDo.getSideInputsMap().containsKey(tag)) {
          mainTag = tag;
        }
      }
      if (mainTag == null) {
        throw new IllegalArgumentException(
            "ParDo " + transform.getUniqueName() + " has no main input");
      }
      String input = transform.getInputsOrThrow(mainTag);
      String stableId = uniqueId(rewritten, entry.getKey() + "/StableInput");
      String stableOutput = uniqueId(rewritten, input + "/stable");
      RunnerApi.PCollection original = components.getPcollectionsOrThrow(input);
      rewritten.putPcollections(
          stableOutput,
          original.toBuilder().setUniqueName(original.getUniqueName() + "/stable").build());
      rewritten.putTransforms(
          stableId,
          RunnerApi.PTransform.newBuilder()
              .setUniqueName(transform.getUniqueName() + "/StableInput")
              .setSpec(RunnerApi.FunctionSpec.newBuilder().setUrn(URN))
              .putInputs("input", input)
              .putOutputs("output", stableOutput)
              .build());
      rewritten.putTransforms(
          entry.getKey(), transform.toBuilder().putInputs(mainTag, stableOutput).build());
    }
    return rewritten == null ? pipeline : pipeline.toBuilder().setComponents(rewritten).build();
  }

  private static String uniqueId(RunnerApi.Components.Builder components, String wanted) {
    String id = wanted;
    for (int i = 2; components.containsTransforms(id) || components.containsPcollections(id); i++) {
      id = wanted + i;
    }
    return id;
  }
}
