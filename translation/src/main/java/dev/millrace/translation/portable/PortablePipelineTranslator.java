package dev.millrace.translation.portable;

import dev.millrace.plan.KeyGroups;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.TranslationOptions;
import dev.millrace.translation.UnsupportedFeaturesException;
import dev.millrace.translation.metrics.JobMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.control.JobBundleFactory;
import org.apache.beam.runners.fnexecution.translation.PipelineTranslatorUtils;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;
import org.apache.beam.sdk.util.construction.graph.GreedyPipelineFuser;
import org.apache.beam.sdk.util.construction.graph.PipelineNode.PTransformNode;
import org.apache.beam.sdk.util.construction.graph.ProtoOverrides;
import org.apache.beam.sdk.util.construction.graph.QueryablePipeline;
import org.apache.beam.sdk.util.construction.graph.SplittableParDoExpander;
import org.apache.beam.sdk.util.construction.graph.TrivialNativeTransformExpander;

/**
 * Turns a portable pipeline (a {@link RunnerApi.Pipeline} from any SDK) into a Millrace plan: user
 * code is fused into {@link ExecutableStage}s run by SDK harnesses, and the runner-side primitives
 * between them become the same operators the Java runner uses. Every transform that cannot run is
 * named in one error before anything starts.
 */
public final class PortablePipelineTranslator {
  private static final Map<String, PortableTransformTranslator> TRANSLATORS =
      Map.of(
          PTransformTranslation.IMPULSE_TRANSFORM_URN, new ImpulseTranslator(),
          PTransformTranslation.GROUP_BY_KEY_TRANSFORM_URN, new GroupByKeyTranslator(),
          PTransformTranslation.FLATTEN_TRANSFORM_URN, new FlattenTranslator(),
          PTransformTranslation.TEST_STREAM_TRANSFORM_URN, new TestStreamTranslator(),
          PTransformTranslation.RESHUFFLE_URN, new ExchangeTranslator(true),
          PTransformTranslation.REDISTRIBUTE_BY_KEY_URN, new ExchangeTranslator(true),
          PTransformTranslation.REDISTRIBUTE_ARBITRARILY_URN, new ExchangeTranslator(false),
          ExecutableStage.URN, new ExecutableStageTranslator(),
          StableInputTranslator.URN, new StableInputTranslator());

  private final PipelineOptions options;
  private final int parallelism;
  private final boolean streamingRequested;
  private final String stateBackendOption;

  public PortablePipelineTranslator(TranslationOptions options) {
    this.options = options.pipelineOptions();
    this.parallelism = options.parallelism();
    this.streamingRequested = options.streamingRequested();
    this.stateBackendOption = options.stateBackend();
  }

  /** The runner-side transform URNs Millrace translates itself (the fuser leaves them whole). */
  public static Set<String> knownUrns() {
    return TRANSLATORS.keySet();
  }

  /**
   * Puts a stage boundary before every DoFn that requires stable input, expands splittable DoFns
   * into their sized steps and keeps composites Millrace runs whole from being fused apart.
   */
  private static RunnerApi.Pipeline expand(RunnerApi.Pipeline pipeline) throws Exception {
    RunnerApi.Pipeline expanded =
        ProtoOverrides.updateTransform(
            PTransformTranslation.PAR_DO_TRANSFORM_URN,
            StableInputTranslator.insertBoundaries(runnerImplementedTestStreams(pipeline)),
            SplittableParDoExpander.createSizedReplacement());
    return TrivialNativeTransformExpander.forKnownUrns(expanded, knownUrns());
  }

  /** Fuses the user code into stages, unless the SDK fused it already. */
  private static RunnerApi.Pipeline fuse(RunnerApi.Pipeline expanded) {
    boolean fusedAlready =
        expanded.getComponents().getTransformsMap().values().stream()
            .anyMatch(t -> ExecutableStage.URN.equals(t.getSpec().getUrn()));
    return fusedAlready ? expanded : GreedyPipelineFuser.fuse(expanded).toPipeline();
  }

  /**
   * Transforms the runner would have to run but cannot: leaves without an SDK environment whose URN
   * no translator knows. They are named before fusion, which would leave them out silently. A leaf
   * without any URN is a composite that expanded to nothing (it hands on its input) and has nothing
   * to run.
   */
  private static List<String> runnerSideUnknowns(RunnerApi.Pipeline expanded) {
    List<String> unknown = new ArrayList<>();
    for (RunnerApi.PTransform transform : expanded.getComponents().getTransformsMap().values()) {
      String urn = transform.getSpec().getUrn();
      if (transform.getSubtransformsCount() == 0
          && !urn.isEmpty()
          && transform.getEnvironmentId().isEmpty()
          && !TRANSLATORS.containsKey(urn)) {
        unknown.add(
            "transform "
                + transform.getUniqueName()
                + " (URN "
                + urn
                + ") has no SDK environment, and Millrace does not run it itself");
      }
    }
    return unknown;
  }

  /**
   * The Java SDK gives TestStream an SDK environment, but the runner replays it: without one the
   * fuser takes it for the runner-side root it is.
   */
  private static RunnerApi.Pipeline runnerImplementedTestStreams(RunnerApi.Pipeline pipeline) {
    RunnerApi.Pipeline.Builder builder = pipeline.toBuilder();
    for (Map.Entry<String, RunnerApi.PTransform> entry :
        pipeline.getComponents().getTransformsMap().entrySet()) {
      if (entry
          .getValue()
          .getSpec()
          .getUrn()
          .equals(PTransformTranslation.TEST_STREAM_TRANSFORM_URN)) {
        builder
            .getComponentsBuilder()
            .putTransforms(
                entry.getKey(), entry.getValue().toBuilder().setEnvironmentId("").build());
      }
    }
    return builder.build();
  }

  /** Prepares, checks and translates {@code pipeline}; {@code bundles} runs its stages. */
  public TranslatedJob translate(RunnerApi.Pipeline pipeline, JobBundleFactory bundles)
      throws Exception {
    RunnerApi.Pipeline expanded = expand(pipeline);
    List<String> unsupported = new ArrayList<>(runnerSideUnknowns(expanded));
    RunnerApi.Pipeline fused = fuse(expanded);
    // Asked of the pipeline as submitted: the expansion of splittable DoFns marks some of its own
    // PCollections unbounded, whatever the input.
    boolean streaming =
        streamingRequested || PipelineTranslatorUtils.hasUnboundedPCollections(pipeline);
    StateBackend stateBackend = StateBackend.fromOption(stateBackendOption, streaming);
    JobMetrics metrics = new JobMetrics();
    TranslationContext plan =
        new TranslationContext(
            options,
            metrics,
            parallelism,
            KeyGroups.DEFAULT_MAX_KEY_GROUPS,
            stateBackend,
            streaming);
    PortableTranslationContext context =
        new PortableTranslationContext(plan, fused.getComponents(), bundles);
    Iterable<PTransformNode> transforms =
        QueryablePipeline.forTransforms(fused.getRootTransformIdsList(), fused.getComponents())
            .getTopologicallyOrderedTransforms();
    for (PTransformNode transform : transforms) {
      String urn = transform.getTransform().getSpec().getUrn();
      PortableTransformTranslator translator = TRANSLATORS.get(urn);
      if (translator == null) {
        unsupported.add(
            "transform " + transform.getTransform().getUniqueName() + " (URN " + urn + ")");
      } else {
        unsupported.addAll(translator.problems(transform, context));
      }
    }
    if (!unsupported.isEmpty()) {
      throw new UnsupportedFeaturesException(unsupported);
    }
    for (PTransformNode transform : transforms) {
      TRANSLATORS.get(transform.getTransform().getSpec().getUrn()).translate(transform, context);
    }
    boolean testStream =
        fused.getComponents().getTransformsMap().values().stream()
            .anyMatch(
                t -> t.getSpec().getUrn().equals(PTransformTranslation.TEST_STREAM_TRANSFORM_URN));
    // An SDK harness sets processing-time timers from its own wall clock, not the runner's; a
    // TestStream's clock starting now keeps the two comparable.
    return new TranslatedJob(
        plan.buildPlan(),
        metrics,
        streaming,
        stateBackend,
        testStream ? System.currentTimeMillis() : null,
        stageTransforms(fused));
  }

  /** For each executable stage, by its name, the transforms fused into it. */
  private static java.util.Map<String, List<String>> stageTransforms(RunnerApi.Pipeline fused)
      throws Exception {
    java.util.Map<String, List<String>> stages = new java.util.HashMap<>();
    for (RunnerApi.PTransform transform : fused.getComponents().getTransformsMap().values()) {
      if (!transform.getSpec().getUrn().equals(ExecutableStage.URN)) {
        continue;
      }
      List<String> names = new java.util.ArrayList<>();
      for (String id :
          RunnerApi.ExecutableStagePayload.parseFrom(transform.getSpec().getPayload())
              .getTransformsList()) {
        RunnerApi.PTransform inner = fused.getComponents().getTransformsMap().get(id);
        names.add(inner == null ? id : inner.getUniqueName());
      }
      stages.put(transform.getUniqueName(), names);
    }
    return stages;
  }
}
