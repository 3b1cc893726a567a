package dev.millrace.translation.portable;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.KeyGroupFunction;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.TranslationContext;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.control.JobBundleFactory;
import org.apache.beam.runners.fnexecution.translation.PipelineTranslatorUtils;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * What portable translators share: the plan under construction (through the same {@link
 * TranslationContext} the Java runner's translation uses), the pipeline's components, the port that
 * produces each PCollection id, and the factory of SDK-harness bundles for the job.
 */
final class PortableTranslationContext {
  private final TranslationContext plan;
  private final RunnerApi.Components components;
  private final JobBundleFactory bundles;
  private final Map<String, PortRef> producers = new HashMap<>();

  PortableTranslationContext(
      TranslationContext plan, RunnerApi.Components components, JobBundleFactory bundles) {
    this.plan = plan;
    this.components = components;
    this.bundles = bundles;
  }

  TranslationContext plan() {
    return plan;
  }

  RunnerApi.Components components() {
    return components;
  }

  JobBundleFactory bundles() {
    return bundles;
  }

  PortRef producerOf(String pCollectionId) {
    PortRef ref = producers.get(pCollectionId);
    if (ref == null) {
      throw new IllegalStateException(
          "no producer translated yet for PCollection " + pCollectionId);
    }
    return ref;
  }

  void setProducer(String pCollectionId, PortRef ref) {
    producers.put(pCollectionId, ref);
  }

  /** The coder the runner holds elements of {@code pCollectionId} in (SDK-only coders as bytes). */
  <T> Coder<WindowedValue<T>> wireCoder(String pCollectionId) {
    return PipelineTranslatorUtils.instantiateCoder(pCollectionId, components);
  }

  /**
   * A PCollection's windowing strategy, with its merge status: Beam's proto translation drops
   * {@code ALREADY_MERGED}, and windows an earlier GroupByKey merged must not be merged again.
   */
  WindowingStrategy<?, ?> windowingStrategy(String pCollectionId) {
    WindowingStrategy<?, ?> strategy =
        PipelineTranslatorUtils.getWindowingStrategy(pCollectionId, components);
    String id = components.getPcollectionsOrThrow(pCollectionId).getWindowingStrategyId();
    RunnerApi.MergeStatus.Enum merge =
        components.getWindowingStrategiesOrThrow(id).getMergeStatus();
    return merge == RunnerApi.MergeStatus.Enum.ALREADY_MERGED
        ? strategy.withAlreadyMerged(true)
        : strategy;
  }

  boolean isBounded(String pCollectionId) {
    return components.getPcollectionsOrThrow(pCollectionId).getIsBounded()
        == RunnerApi.IsBounded.Enum.BOUNDED;
  }

  /** The key coder of a PCollection of KVs, or an error naming the transform that needs one. */
  KvCoder<?, ?> kvCoder(String pCollectionId, String transformName) {
    Coder<?> value =
        ((WindowedValue.WindowedValueCoder<?>) wireCoder(pCollectionId)).getValueCoder();
    if (!(value instanceof KvCoder<?, ?> kv)) {
      throw new IllegalArgumentException(
          transformName + " needs KV input, got elements coded by " + value);
    }
    return kv;
  }

  PortRef startVertex(String name, int parallelism, OperatorNode operator) {
    return plan.startVertex(name, parallelism, operator);
  }

  PortRef fuse(String inputId, OperatorNode operator) {
    return plan.fuse(producerOf(inputId), operator);
  }

  /**
   * Feeds {@code target} through an exchange that passes elements as objects: every element on the
   * runner's side of a portable job was decoded from the bytes an SDK harness sent (or built by a
   * runner-side primitive from such), none is the user's object, and none is changed after it
   * leaves; each SDK harness encodes what it receives afresh.
   */
  void exchange(String inputId, PortRef target, EdgeKind kind, KeyGroupFunction keyGroups) {
    plan.exchange(producerOf(inputId), target, kind, keyGroups, null);
  }
}
