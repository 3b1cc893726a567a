package dev.millrace.translation.portable;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.KeyGroupFunction;
import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.stage.ExecutableStageOperator;
import dev.millrace.translation.operators.stage.StageSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Materialization;
import org.apache.beam.sdk.transforms.Materializations;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.WindowMappingFn;
import org.apache.beam.sdk.util.ByteStringOutputStream;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.PCollectionViewTranslation;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.util.construction.RunnerPCollectionView;
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;
import org.apache.beam.sdk.util.construction.graph.SideInputReference;
import org.apache.beam.sdk.util.construction.graph.UserStateReference;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * A fused stage of user code: fused into the vertex of its main input, or heading a vertex of its
 * own when it has side inputs (main input FORWARD, each side input BROADCAST) or user state and
 * timers (main input HASH by key, so each key lives in one subtask).
 */
final class ExecutableStageTranslator implements PortableTransformTranslator {
  static ExecutableStage stageOf(PTransformNode transform) throws Exception {
    return ExecutableStage.fromPayload(
        RunnerApi.ExecutableStagePayload.parseFrom(
            transform.getTransform().getSpec().getPayload()));
  }

  @Override
  public List<String> problems(PTransformNode transform, PortableTranslationContext context)
      throws Exception {
    ExecutableStage stage = stageOf(transform);
    List<String> problems = new ArrayList<>();
    String name = transform.getTransform().getUniqueName();
    for (UserStateReference state : stage.getUserStates()) {
      String protocol = stateSpecOf(state).getProtocol().getUrn();
      if (!StageSpec.servesUserState(protocol)) {
        problems.add(
            "user state "
                + state.localName()
                + " of "
                + state.transform().getTransform().getUniqueName()
                + " in stage "
                + name
                + " uses protocol "
                + protocol
                + " (Millrace serves bag, multimap and ordered-list user state over the Fn API)");
      }
    }
    return problems;
  }

  private static RunnerApi.StateSpec stateSpecOf(UserStateReference state) throws Exception {
    return RunnerApi.ParDoPayload.parseFrom(state.transform().getTransform().getSpec().getPayload())
        .getStateSpecsOrThrow(state.localName());
  }

  @Override
  public void translate(PTransformNode transform, PortableTranslationContext context)
      throws Exception {
    ExecutableStage stage = stageOf(transform);
    String name = transform.getTransform().getUniqueName();
    String input = stage.getInputPCollection().getId();
    List<String> outputIds = new ArrayList<>(transform.getTransform().getOutputsMap().values());
    List<StageSpec.SideInput> sideInputs = new ArrayList<>();
    List<SideInputReference> sideRefs = new ArrayList<>(stage.getSideInputs());
    for (SideInputReference side : sideRefs) {
      sideInputs.add(
          new StageSpec.SideInput(side.transform().getId(), side.localName(), view(side, context)));
    }
    Coder<WindowedValue<Object>> inputCoder = context.wireCoder(input);
    List<StageSpec.StateCell> stateCells = new ArrayList<>();
    for (UserStateReference state : stage.getUserStates()) {
      stateCells.add(
          new StageSpec.StateCell(
              state.transform().getId(),
              state.localName(),
              stateSpecOf(state).getProtocol().getUrn()));
    }
    List<KV<String, String>> windowExpirationTimers = new ArrayList<>();
    boolean timeSorted = false;
    for (PTransformNode inStage : stage.getTransforms()) {
      RunnerApi.FunctionSpec fn = inStage.getTransform().getSpec();
      if (!fn.getUrn().equals(PTransformTranslation.PAR_DO_TRANSFORM_URN)) {
        continue;
      }
      RunnerApi.ParDoPayload parDo = RunnerApi.ParDoPayload.parseFrom(fn.getPayload());
      if (!parDo.getOnWindowExpirationTimerFamilySpec().isEmpty()) {
        windowExpirationTimers.add(
            KV.of(inStage.getId(), parDo.getOnWindowExpirationTimerFamilySpec()));
      }
      timeSorted |=
          parDo.getRequiresTimeSortedInput()
              && inStage.getTransform().getInputsMap().containsValue(input);
    }
    boolean keyed = !stateCells.isEmpty() || !stage.getTimers().isEmpty() || timeSorted;
    @SuppressWarnings("unchecked")
    Coder<Object> keyCoder =
        keyed ? (Coder<Object>) context.kvCoder(input, name).getKeyCoder() : null;
    StageSpec<Object> spec =
        new StageSpec<>(
            name,
            stage,
            context.bundles(),
            outputIds,
            sideInputs,
            inputCoder,
            context.windowingStrategy(input),
            context.plan().stateBackend(),
            keyCoder,
            stateCells,
            windowExpirationTimers,
            timeSorted,
            context.plan().waitingMemory());
    JobMetrics metrics = context.plan().metrics();
    OperatorNode node =
        new OperatorNode(
            name,
            () -> new ExecutableStageOperator<>(spec, metrics),
            1 + sideInputs.size(),
            outputIds.size());
    PortRef in;
    if (keyed) {
      in = context.startVertex(name, context.plan().parallelism(), node);
      context.exchange(input, in, EdgeKind.HASH, keyGroupsOfStageKeys(keyCoder));
    } else if (sideInputs.isEmpty()) {
      in = context.fuse(input, node);
    } else {
      PortRef producer = context.producerOf(input);
      in = context.startVertex(name, context.plan().parallelismOf(producer), node);
      context.exchange(input, in, EdgeKind.FORWARD, null);
    }
    if (!sideInputs.isEmpty()) {
      for (int i = 0; i < sideInputs.size(); i++) {
        String sidePc = sideRefs.get(i).collection().getId();
        context.exchange(
            sidePc, new PortRef(in.vertex(), in.operator(), 1 + i), EdgeKind.BROADCAST, null);
      }
    }
    for (int port = 0; port < outputIds.size(); port++) {
      context.setProducer(outputIds.get(port), new PortRef(in.vertex(), in.operator(), port));
    }
  }

  /**
   * Key groups of a keyed stage's input, by the key's nested encoding: the bytes the harness names
   * the key by, and which the stage's keyed state computes its key group from too.
   */
  private static KeyGroupFunction keyGroupsOfStageKeys(Coder<Object> keyCoder) {
    return element -> {
      Object key = ((KV<?, ?>) ((WindowedValue<?>) element).getValue()).getKey();
      try {
        ByteStringOutputStream nested = new ByteStringOutputStream();
        keyCoder.encode(key, nested, Coder.Context.NESTED);
        return KeyGroups.keyGroupOf(
            nested.toByteString().toByteArray(), KeyGroups.DEFAULT_MAX_KEY_GROUPS);
      } catch (java.io.IOException e) {
        throw new IllegalStateException("could not encode key " + key, e);
      }
    };
  }

  /**
   * What the side-input gate needs of a side input: its materialization, the side windowing and the
   * window mapping. A mapping only the SDK can run (not a Java one) falls back to the side window
   * function's default, which is what the SDKs' standard window functions use.
   */
  private static RunnerPCollectionView<?> view(
      SideInputReference side, PortableTranslationContext context) throws Exception {
    RunnerApi.ParDoPayload payload =
        RunnerApi.ParDoPayload.parseFrom(side.transform().getTransform().getSpec().getPayload());
    RunnerApi.SideInput proto = payload.getSideInputsOrThrow(side.localName());
    String collection = side.collection().getId();
    WindowingStrategy<?, ?> windowing = context.windowingStrategy(collection);
    WindowMappingFn<?> mapping =
        proto
                .getWindowMappingFn()
                .getUrn()
                .equals(ParDoTranslation.CUSTOM_JAVA_WINDOW_MAPPING_FN_URN)
            ? PCollectionViewTranslation.windowMappingFnFromProto(proto.getWindowMappingFn())
            : windowing.getWindowFn().getDefaultWindowMappingFn();
    String access = proto.getAccessPattern().getUrn();
    if (!access.equals(Materializations.ITERABLE_MATERIALIZATION_URN)
        && !access.equals(Materializations.MULTIMAP_MATERIALIZATION_URN)) {
      throw new IllegalArgumentException(
          "side input "
              + side.localName()
              + " of "
              + side.transform().getTransform().getUniqueName()
              + " uses access pattern "
              + access
              + "; Millrace serves iterable and multimap side inputs");
    }
    Coder<?> elementCoder =
        ((WindowedValue.WindowedValueCoder<?>) context.wireCoder(collection)).getValueCoder();
    return new RunnerPCollectionView<>(
        null,
        new TupleTag<>(side.localName()),
        new HarnessReadViewFn(access),
        mapping,
        windowing,
        elementCoder);
  }

  /**
   * Names a side input's materialization for the gate; the harness builds the view itself, so
   * nothing on the runner side ever applies it.
   */
  private static final class HarnessReadViewFn extends ViewFn<Iterable<WindowedValue<?>>, Object> {
    private final String materializationUrn;

    HarnessReadViewFn(String materializationUrn) {
      this.materializationUrn = materializationUrn;
    }

    @Override
    public Materialization<Iterable<WindowedValue<?>>> getMaterialization() {
      return () -> materializationUrn;
    }

    @Override
    public Object apply(Iterable<WindowedValue<?>> contents) {
      throw new UnsupportedOperationException(
          "an SDK harness reads this side input over the Fn API");
    }

    @Override
    public TypeDescriptor<Object> getTypeDescriptor() {
      return new TypeDescriptor<Object>() {};
    }
  }
}
