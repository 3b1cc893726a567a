package dev.millrace.translation;

import org.apache.beam.sdk.runners.AppliedPTransform;

/**
 * Transforms whose output is their input as far as the engine cares: CreatePCollectionView (a
 * ParDo consuming the view reads the view's PCollection through a BROADCAST edge).
 */
final class IdentityTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    context.setProducer(
        Translations.onlyOutput(transform), context.producerOf(Translations.mainInput(transform)));
  }
}
