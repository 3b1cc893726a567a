package dev.millrace.translation.java;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.WindowAssignOperator;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.PCollection;

/** Window.Assign fuses into its input's vertex; without a WindowFn it only changes the strategy. */
final class WindowAssignTranslator implements TransformTranslator {
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    PCollection<?> input = Translations.mainInput(transform);
    PCollection<?> output = Translations.onlyOutput(transform);
    WindowFn windowFn = ((Window.Assign<?>) transform.getTransform()).getWindowFn();
    if (windowFn == null) {
      context.setProducer(output, context.producerOf(input));
      return;
    }
    PortRef in =
        context.fuse(
            input,
            new OperatorNode(
                transform.getFullName(), () -> new WindowAssignOperator<>(windowFn), 1, 1));
    context.setProducer(output, new PortRef(in.vertex(), in.operator(), 0));
  }
}
