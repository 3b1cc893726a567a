package dev.millrace.translation.portable;

import java.util.Map;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;

/** Reading a transform's inputs and outputs by PCollection id. */
final class Translated {
  private Translated() {}

  static String onlyInput(PTransformNode transform) {
    Map<String, String> inputs = transform.getTransform().getInputsMap();
    if (inputs.size() != 1) {
      throw new IllegalArgumentException(
          transform.getTransform().getUniqueName()
              + " has "
              + inputs.size()
              + " inputs, expected 1");
    }
    return inputs.values().iterator().next();
  }

  static String onlyOutput(PTransformNode transform) {
    Map<String, String> outputs = transform.getTransform().getOutputsMap();
    if (outputs.size() != 1) {
      throw new IllegalArgumentException(
          transform.getTransform().getUniqueName()
              + " has "
              + outputs.size()
              + " outputs, expected 1");
    }
    return outputs.values().iterator().next();
  }
}
