package dev.millrace.translation.portable;

import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.operators.source.TestStreamOperator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.wire.LengthPrefixUnknownCoders;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.LengthPrefixCoder;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.ModelCoders;
import org.apache.beam.sdk.util.construction.RehydratedComponents;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * TestStream of a portable pipeline: the Java runner's TestStream operator on the job's manual
 * clock. Its elements are decoded with the stream's own coder, components only the SDK knows kept
 * as their bytes (length-prefixed, as the Go SDK sends them); a coder only the SDK knows as a whole
 * (Python's pickled one) leaves the elements as the SDK's bytes, which is how the runner holds them
 * anyway.
 */
final class TestStreamTranslator implements PortableTransformTranslator {
  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context)
      throws Exception {
    RunnerApi.TestStreamPayload payload =
        RunnerApi.TestStreamPayload.parseFrom(transform.getTransform().getSpec().getPayload());
    String name = transform.getTransform().getUniqueName();
    List<TestStream.Event<Object>> events =
        sdkOnlyCoder(payload.getCoderId(), context)
            ? asBytes(payload, transform, context)
            : decoded(payload, transform, context);
    PortRef op =
        context.startVertex(
            name, 1, new OperatorNode(name, () -> new TestStreamOperator<>(events), 0, 1));
    context.setProducer(
        Translated.onlyOutput(transform), new PortRef(op.vertex(), op.operator(), 0));
  }

  /**
   * The stream's events with its elements as the runner holds them: decoded by the stream's coder
   * with the components only the SDK knows kept as their bytes. SDKs disagree on how they encode
   * them: Python as a whole element (outer context), Go as one nested in a larger value (with
   * length prefixes, apache/beam's Flink filters name it). An element whose nested decoding takes
   * exactly all its bytes is taken as nested, any other as a whole.
   */
  private static List<TestStream.Event<Object>> decoded(
      RunnerApi.TestStreamPayload payload,
      PTransformNode transform,
      PortableTranslationContext context)
      throws IOException {
    RunnerApi.Components.Builder components = context.components().toBuilder();
    String sdkWireId =
        LengthPrefixUnknownCoders.addLengthPrefixedCoder(payload.getCoderId(), components, false);
    String runnerWireId =
        LengthPrefixUnknownCoders.addLengthPrefixedCoder(payload.getCoderId(), components, true);
    RehydratedComponents rehydrated = RehydratedComponents.forComponents(components.build());
    @SuppressWarnings("unchecked")
    Coder<Object> stream = (Coder<Object>) rehydrated.getCoder(payload.getCoderId());
    @SuppressWarnings("unchecked")
    Coder<Object> sdkWire = (Coder<Object>) rehydrated.getCoder(sdkWireId);
    Coder<?> payloadRunnerWire = rehydrated.getCoder(runnerWireId);
    @SuppressWarnings("unchecked")
    Coder<Object> outputRunnerWire =
        ((WindowedValue.WindowedValueCoder<Object>)
                context.<Object>wireCoder(Translated.onlyOutput(transform)))
            .getValueCoder();
    return events(
        payload,
        bytes -> {
          Object value;
          try {
            value = decode(stream, bytes);
          } catch (CoderException sdkOnlyComponent) {
            // A component only the SDK knows (Java's own coders it knows, being Java): the Go SDK
            // sends it length-prefixed, which is how the runner holds it.
            return decode(payloadRunnerWire, bytes);
          }
          // The form the output's wire coder gives the runner: the harness's encoding (unknown
          // components length-prefixed) read back by the runner's coder.
          return CoderUtils.decodeFromByteArray(
              outputRunnerWire, CoderUtils.encodeToByteArray(sdkWire, value));
        });
  }

  /** How the runner holds an element the SDK encoded. */
  private interface ElementDecoder {
    Object decode(byte[] encoded) throws IOException;
  }

  private static List<TestStream.Event<Object>> events(
      RunnerApi.TestStreamPayload payload, ElementDecoder elements) throws IOException {
    List<TestStream.Event<Object>> events = new ArrayList<>();
    for (RunnerApi.TestStreamPayload.Event event : payload.getEventsList()) {
      switch (event.getEventCase()) {
        case ELEMENT_EVENT -> {
          List<TimestampedValue<Object>> values = new ArrayList<>();
          for (RunnerApi.TestStreamPayload.TimestampedElement element :
              event.getElementEvent().getElementsList()) {
            values.add(
                TimestampedValue.of(
                    elements.decode(element.getEncodedElement().toByteArray()),
                    new Instant(element.getTimestamp())));
          }
          events.add(TestStream.ElementEvent.add(values));
        }
        case WATERMARK_EVENT ->
            events.add(
                TestStream.WatermarkEvent.advanceTo(
                    new Instant(event.getWatermarkEvent().getNewWatermark())));
        case PROCESSING_TIME_EVENT ->
            events.add(
                TestStream.ProcessingTimeEvent.advanceBy(
                    Duration.millis(event.getProcessingTimeEvent().getAdvanceDuration())));
        default -> throw new IllegalArgumentException("TestStream event of unknown kind: " + event);
      }
    }
    return events;
  }

  @SuppressWarnings("unchecked")
  private static <T> T decode(Coder<T> coder, byte[] bytes) throws IOException {
    try {
      ByteArrayInputStream nested = new ByteArrayInputStream(bytes);
      T value = coder.decode(nested, Coder.Context.NESTED);
      if (nested.available() == 0) {
        return value;
      }
    } catch (IOException | RuntimeException notNested) {
      // a whole element, then
    }
    return CoderUtils.decodeFromByteArray(coder, bytes);
  }

  /** Whether the stream's coder is one only the SDK knows (as a whole, not only a component). */
  private static boolean sdkOnlyCoder(String coderId, PortableTranslationContext context) {
    RunnerApi.Components.Builder components = context.components().toBuilder();
    String wireId = LengthPrefixUnknownCoders.addLengthPrefixedCoder(coderId, components, true);
    RunnerApi.Coder wire = components.getCodersOrThrow(wireId);
    return !wireId.equals(coderId)
        && wire.getSpec().getUrn().equals(ModelCoders.LENGTH_PREFIX_CODER_URN)
        && components
            .getCodersOrThrow(wire.getComponentCoderIds(0))
            .getSpec()
            .getUrn()
            .equals(ModelCoders.BYTES_CODER_URN)
        && !context
            .components()
            .getCodersOrThrow(coderId)
            .getSpec()
            .getUrn()
            .equals(ModelCoders.LENGTH_PREFIX_CODER_URN);
  }

  /**
   * The events of a stream whose coder only the SDK knows: the runner holds such elements as the
   * bytes the SDK encoded them to, so they pass through as they are.
   */
  private static List<TestStream.Event<Object>> asBytes(
      RunnerApi.TestStreamPayload payload,
      PTransformNode transform,
      PortableTranslationContext context)
      throws IOException {
    RunnerApi.Components components = context.components();
    String outputCoderId =
        components.getPcollectionsOrThrow(Translated.onlyOutput(transform)).getCoderId();
    RunnerApi.Coder outputCoder = components.getCodersOrThrow(outputCoderId);
    // Go names its coder bare for the stream and length-prefixed for the output, and sends each
    // element length-prefixed; Python uses one coder for both and sends elements whole.
    boolean lengthPrefixed =
        outputCoder.getSpec().getUrn().equals(ModelCoders.LENGTH_PREFIX_CODER_URN)
            && outputCoder.getComponentCoderIds(0).equals(payload.getCoderId());
    boolean sameCoder =
        outputCoderId.equals(payload.getCoderId())
            || outputCoder.equals(components.getCodersOrThrow(payload.getCoderId()));
    if (!sameCoder && !lengthPrefixed) {
      // Python's TestStream encodes with its own coder (pickled by default) whatever its output's
      // coder is; only the SDK could turn one's bytes into the other's.
      throw new IllegalArgumentException(
          transform.getTransform().getUniqueName()
              + ": the TestStream's elements are encoded with coder "
              + payload.getCoderId()
              + ", which only the SDK knows, but its output collection is coded with "
              + outputCoderId
              + "; give the TestStream the output's coder (Python: TestStream(coder=...)) or an output type"
              + " whose coder the stream uses");
    }
    return events(
        payload,
        encoded ->
            lengthPrefixed
                ? CoderUtils.decodeFromByteArray(LengthPrefixCoder.of(ByteArrayCoder.of()), encoded)
                : encoded);
  }
}
