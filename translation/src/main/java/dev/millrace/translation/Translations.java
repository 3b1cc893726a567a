package dev.millrace.translation;

import java.util.Map;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;

/** Small lookups every translator needs. */
final class Translations {
  private Translations() {}

  static PCollection<?> onlyOutput(AppliedPTransform<?, ?, ?> transform) {
    Map<TupleTag<?>, PCollection<?>> outputs = transform.getOutputs();
    if (outputs.size() != 1) {
      throw new IllegalArgumentException(transform.getFullName() + " has " + outputs.size() + " outputs, expected 1");
    }
    return outputs.values().iterator().next();
  }

  /** The main input: the one input that is not a side input. */
  static PCollection<?> mainInput(AppliedPTransform<?, ?, ?> transform) {
    Map<TupleTag<?>, PCollection<?>> inputs = transform.getMainInputs();
    if (inputs.size() != 1) {
      throw new IllegalArgumentException(transform.getFullName() + " has " + inputs.size() + " main inputs, expected 1");
    }
    return inputs.values().iterator().next();
  }
}
