package dev.millrace.translation.portable;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.operators.TestStreamOperator;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.wire.LengthPrefixUnknownCoders;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.util.construction.RehydratedComponents;
import org.apache.beam.sdk.util.construction.TestStreamTranslation;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;

/**
 * TestStream of a portable pipeline: the Java runner's TestStream operator on the job's manual
 * clock. Its elements are decoded with the stream's own coder, so it must be one Java knows (an
 * SDK-only coder fails the job at translation, naming it).
 */
final class TestStreamTranslator implements PortableTransformTranslator {
  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context) throws Exception {
    RunnerApi.TestStreamPayload payload =
        RunnerApi.TestStreamPayload.parseFrom(transform.getTransform().getSpec().getPayload());
    TestStream<Object> stream =
        TestStreamTranslation.testStreamFromProtoPayload(
            payload, RehydratedComponents.forComponents(context.components()));
    String name = transform.getTransform().getUniqueName();
    List<TestStream.Event<Object>> events = inRunnerForm(stream.getEvents(), payload.getCoderId(), transform, context);
    PortRef op =
        context.startVertex(name, 1, new OperatorNode(name, () -> new TestStreamOperator<>(events), 0, 1));
    context.setProducer(Translated.onlyOutput(transform), new PortRef(op.vertex(), op.operator(), 0));
  }

  /**
   * The elements as the runner holds them in the stream's PCollection: a component coder the
   * runner does not know is held as its bytes. They get there by encoding with the stream's coder
   * with such components length-prefixed (what the harness would send) and decoding with the
   * runner's wire coder.
   */
  private static List<TestStream.Event<Object>> inRunnerForm(
      List<TestStream.Event<Object>> events, String coderId, PTransformNode transform, PortableTranslationContext context)
      throws Exception {
    RunnerApi.Components.Builder components = context.components().toBuilder();
    String sdkWireId = LengthPrefixUnknownCoders.addLengthPrefixedCoder(coderId, components, false);
    @SuppressWarnings("unchecked")
    Coder<Object> sdkWire = (Coder<Object>) RehydratedComponents.forComponents(components.build()).getCoder(sdkWireId);
    @SuppressWarnings("unchecked")
    Coder<Object> runnerWire =
        ((WindowedValue.WindowedValueCoder<Object>) context.<Object>wireCoder(Translated.onlyOutput(transform)))
            .getValueCoder();
    List<TestStream.Event<Object>> converted = new ArrayList<>();
    for (TestStream.Event<Object> event : events) {
      if (event instanceof TestStream.ElementEvent<Object> elements) {
        List<TimestampedValue<Object>> values = new ArrayList<>();
        for (TimestampedValue<Object> value : elements.getElements()) {
          Object held = CoderUtils.decodeFromByteArray(runnerWire, CoderUtils.encodeToByteArray(sdkWire, value.getValue()));
          values.add(TimestampedValue.of(held, value.getTimestamp()));
        }
        converted.add(TestStream.ElementEvent.add(values));
      } else {
        converted.add(event);
      }
    }
    return converted;
  }
}
