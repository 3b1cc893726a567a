package dev.millrace.translation.java;

import dev.millrace.translation.TranslationContext;
import org.apache.beam.sdk.runners.AppliedPTransform;

/** Turns one applied Beam transform into operators and edges of the plan. */
interface TransformTranslator {
  void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) throws Exception;
}
