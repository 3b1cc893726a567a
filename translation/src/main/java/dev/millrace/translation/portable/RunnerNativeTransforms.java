package dev.millrace.translation.portable;

import java.util.Set;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.util.construction.NativeTransforms;
import org.apache.beam.sdk.util.construction.PTransformTranslation;

/**
 * Tells Beam's pipeline fuser which composites Millrace runs itself, so it leaves them unfused
 * instead of failing on their missing expansion, and which transforms of its own it put in the
 * pipeline (found through {@code META-INF/services}).
 */
public final class RunnerNativeTransforms implements NativeTransforms.IsNativeTransform {
  static final Set<String> URNS =
      Set.of(
          PTransformTranslation.RESHUFFLE_URN,
          PTransformTranslation.REDISTRIBUTE_BY_KEY_URN,
          PTransformTranslation.REDISTRIBUTE_ARBITRARILY_URN,
          StableInputTranslator.URN);

  @Override
  public boolean test(RunnerApi.PTransform transform) {
    return URNS.contains(transform.getSpec().getUrn());
  }
}
