package dev.millrace.translation.java;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.source.TestStreamOperator;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.testing.TestStream;

/**
 * TestStream: a source vertex of parallelism 1 that replays the stream's events, each only once the
 * job is quiescent, on the job's manual clock.
 */
final class TestStreamTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    TestStream<?> stream = (TestStream<?>) transform.getTransform();
    String name = transform.getFullName();
    PortRef op =
        context.startVertex(
            name,
            1,
            new OperatorNode(name, () -> new TestStreamOperator<>(stream.getEvents()), 0, 1));
    context.setProducer(
        Translations.onlyOutput(transform), new PortRef(op.vertex(), op.operator(), 0));
  }
}
