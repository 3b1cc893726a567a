package dev.millrace.translation.java;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/** Small lookups every translator needs. */
public final class Translations {
  private Translations() {}

  static PCollection<?> onlyOutput(AppliedPTransform<?, ?, ?> transform) {
    Map<TupleTag<?>, PCollection<?>> outputs = transform.getOutputs();
    if (outputs.size() != 1) {
      throw new IllegalArgumentException(
          transform.getFullName() + " has " + outputs.size() + " outputs, expected 1");
    }
    return outputs.values().iterator().next();
  }

  /** The main input: the one input that is not a side input. */
  static PCollection<?> mainInput(AppliedPTransform<?, ?, ?> transform) {
    Map<TupleTag<?>, PCollection<?>> inputs = transform.getMainInputs();
    if (inputs.size() != 1) {
      throw new IllegalArgumentException(
          transform.getFullName() + " has " + inputs.size() + " main inputs, expected 1");
    }
    return inputs.values().iterator().next();
  }

  /** The main output tag first, then the additional ones, each once: output port i is tag i. */
  static List<TupleTag<?>> outputTags(TupleTag<?> main, TupleTagList additional) {
    List<TupleTag<?>> tags = new ArrayList<>();
    tags.add(main);
    for (TupleTag<?> tag : additional.getAll()) {
      if (!tags.contains(tag)) {
        tags.add(tag);
      }
    }
    return tags;
  }

  /** The coder of {@code pc}'s elements as operators pass them: windowed values. */
  public static <T> Coder<WindowedValue<T>> windowedValueCoder(PCollection<T> pc) {
    return WindowedValue.getFullCoder(
        pc.getCoder(), pc.getWindowingStrategy().getWindowFn().windowCoder());
  }

  /** Each output's coder, by its tag. */
  static Map<TupleTag<?>, Coder<?>> outputCoders(AppliedPTransform<?, ?, ?> transform) {
    Map<TupleTag<?>, Coder<?>> coders = new LinkedHashMap<>();
    for (Map.Entry<TupleTag<?>, PCollection<?>> out : transform.getOutputs().entrySet()) {
      coders.put(out.getKey(), out.getValue().getCoder());
    }
    return coders;
  }
}
