package dev.millrace.translation.java;

import dev.millrace.plan.KeyGroups;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.TranslationOptions;
import dev.millrace.translation.UnsupportedFeaturesException;
import dev.millrace.translation.java.overrides.PipelineOverrides;
import dev.millrace.translation.metrics.JobMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.core.SplittableParDoViaKeyedWorkItems;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.BoundedReadFromUnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;

/**
 * Turns a classic Java pipeline into a {@link dev.millrace.plan.Plan}. A first walk collects
 * everything Millrace cannot run and fails with one error naming all of it; a second walk
 * translates, one translator per primitive (and for the composites Millrace runs whole).
 */
public final class PipelineTranslator {
  private static final Map<String, TransformTranslator> PRIMITIVES =
      Map.of(
          PTransformTranslation.IMPULSE_TRANSFORM_URN, new ImpulseTranslator(),
          PTransformTranslation.PAR_DO_TRANSFORM_URN, new ParDoTranslator(),
          PTransformTranslation.GROUP_BY_KEY_TRANSFORM_URN, new GroupByKeyTranslator(),
          PTransformTranslation.FLATTEN_TRANSFORM_URN, new FlattenTranslator(),
          PTransformTranslation.ASSIGN_WINDOWS_TRANSFORM_URN, new WindowAssignTranslator(),
          PTransformTranslation.CREATE_VIEW_TRANSFORM_URN, new CreateViewTranslator(),
          PTransformTranslation.TEST_STREAM_TRANSFORM_URN, new TestStreamTranslator());

  private static final Map<String, TransformTranslator> COMPOSITES =
      Map.of(
          PTransformTranslation.RESHUFFLE_URN, new ExchangeTranslator(true),
          PTransformTranslation.REDISTRIBUTE_BY_KEY_URN, new ExchangeTranslator(true),
          PTransformTranslation.REDISTRIBUTE_ARBITRARILY_URN, new ExchangeTranslator(false));

  private final PipelineOptions options;
  private final int parallelism;
  private final boolean streamingRequested;
  private final String stateBackendOption;

  public PipelineTranslator(TranslationOptions options) {
    this.options = options.pipelineOptions();
    this.parallelism = options.parallelism();
    this.streamingRequested = options.streamingRequested();
    this.stateBackendOption = options.stateBackend();
  }

  /** Rewrites, checks and translates {@code pipeline}. */
  public TranslatedJob translate(Pipeline pipeline) {
    PipelineOverrides.apply(pipeline, streamingRequested);
    List<String> unsupported = new ArrayList<>();
    InputKinds inputs = new InputKinds(pipeline);
    pipeline.traverseTopologically(inputs);
    boolean streaming = streamingRequested || inputs.unbounded;
    pipeline.traverseTopologically(new Walk(pipeline, null, unsupported, streaming));
    if (!unsupported.isEmpty()) {
      throw new UnsupportedFeaturesException(unsupported);
    }
    StateBackend stateBackend = StateBackend.fromOption(stateBackendOption, streaming);
    JobMetrics metrics = new JobMetrics();
    TranslationContext context =
        new TranslationContext(
            options,
            metrics,
            parallelism,
            KeyGroups.DEFAULT_MAX_KEY_GROUPS,
            stateBackend,
            streaming);
    pipeline.traverseTopologically(new Walk(pipeline, context, unsupported, streaming));
    return new TranslatedJob(
        context.plan().build(),
        metrics,
        streaming,
        stateBackend,
        inputs.testStream ? TranslatedJob.TEST_CLOCK_START : null);
  }

  /** Whether a pipeline has unbounded PCollections, and whether a TestStream drives it. */
  private static final class InputKinds extends Pipeline.PipelineVisitor.Defaults {
    private final Pipeline pipeline;
    boolean unbounded;
    boolean testStream;
    private final Set<Coder<?>> checkedCoders = Collections.newSetFromMap(new IdentityHashMap<>());

    InputKinds(Pipeline pipeline) {
      this.pipeline = pipeline;
    }

    @Override
    public void visitPrimitiveTransform(TransformHierarchy.Node node) {
      AppliedPTransform<?, ?, ?> transform = node.toAppliedPTransform(pipeline);
      testStream |= transform.getTransform() instanceof TestStream;
      for (PCollection<?> out : transform.getOutputs().values()) {
        unbounded |= out.isBounded() == PCollection.IsBounded.UNBOUNDED;
      }
    }

    @Override
    public void visitValue(PValue value, TransformHierarchy.Node producer) {
      if (value instanceof PCollection<?> collection && checkedCoders.add(collection.getCoder())) {
        ensureSerializable(collection);
      }
    }
  }

  /**
   * Fails the job before it starts if a PCollection's coder does not survive Java serialization, as
   * it must to reach another process: a checkpoint's restore in a new JVM, a cluster's worker, an
   * SDK harness. Running in one JVM, Millrace would otherwise never notice.
   */
  private static void ensureSerializable(PCollection<?> collection) {
    try {
      // Round trip only: many coders do not define equals, so the copy is not compared.
      SerializableUtils.deserializeFromByteArray(
          SerializableUtils.serializeToByteArray(collection.getCoder()),
          collection.getCoder().toString());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "the coder of "
              + collection.getName()
              + " ("
              + collection.getCoder()
              + ") cannot be serialized",
          e);
    }
  }

  private static TransformTranslator primitiveTranslator(AppliedPTransform<?, ?, ?> transform) {
    if (transform.getTransform() instanceof SplittableParDo.PrimitiveBoundedRead) {
      return new ReadBoundedTranslator();
    }
    if (transform.getTransform() instanceof SplittableParDo.PrimitiveUnboundedRead) {
      return ReadUnboundedTranslator.unlimited();
    }
    if (transform.getTransform()
        instanceof SplittableParDoViaKeyedWorkItems.GBKIntoKeyedWorkItems) {
      return new KeyedWorkItemsTranslator();
    }
    if (transform.getTransform() instanceof SplittableParDoViaKeyedWorkItems.ProcessElements) {
      return new SplittableProcessTranslator();
    }
    if (transform.getTransform() instanceof View.CreatePCollectionView) {
      return new CreateViewTranslator();
    }
    String urn = PTransformTranslation.urnForTransformOrNull(transform.getTransform());
    return urn == null ? null : PRIMITIVES.get(urn);
  }

  private static TransformTranslator compositeTranslator(
      AppliedPTransform<?, ?, ?> transform, boolean streaming) {
    if (transform.getTransform() instanceof BoundedReadFromUnboundedSource) {
      return ReadUnboundedTranslator.limitedIfReadable(transform);
    }
    String urn = PTransformTranslation.urnForTransformOrNull(transform.getTransform());
    if (urn == null) {
      return null;
    }
    if (urn.equals(PTransformTranslation.COMBINE_PER_KEY_TRANSFORM_URN)) {
      return CombinePerKeyTranslator.forTransform(transform, streaming);
    }
    return COMPOSITES.get(urn);
  }

  /** What in a primitive Millrace cannot run, or an empty list. */
  private static List<String> problems(AppliedPTransform<?, ?, ?> transform) {
    List<String> problems = new ArrayList<>();
    if (primitiveTranslator(transform) == null) {
      String urn = PTransformTranslation.urnForTransformOrNull(transform.getTransform());
      problems.add(
          "transform "
              + transform.getFullName()
              + " ("
              + transform.getTransform().getClass().getName()
              + (urn == null ? "" : ", URN " + urn)
              + ")");
    }
    return problems;
  }

  /** One walk over the pipeline: checks when {@code context} is null, translates otherwise. */
  private static final class Walk extends Pipeline.PipelineVisitor.Defaults {
    private final Pipeline pipeline;
    private final TranslationContext context;
    private final List<String> unsupported;

    private final boolean streaming;

    Walk(
        Pipeline pipeline,
        TranslationContext context,
        List<String> unsupported,
        boolean streaming) {
      this.streaming = streaming;
      this.pipeline = pipeline;
      this.context = context;
      this.unsupported = unsupported;
    }

    @Override
    public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
      if (node.isRootNode()) {
        return CompositeBehavior.ENTER_TRANSFORM;
      }
      AppliedPTransform<?, ?, ?> transform = node.toAppliedPTransform(pipeline);
      TransformTranslator translator = compositeTranslator(transform, streaming);
      if (translator == null) {
        return CompositeBehavior.ENTER_TRANSFORM;
      }
      if (context != null) {
        run(translator, transform);
      }
      return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
    }

    @Override
    public void visitPrimitiveTransform(TransformHierarchy.Node node) {
      AppliedPTransform<?, ?, ?> transform = node.toAppliedPTransform(pipeline);
      if (context == null) {
        unsupported.addAll(problems(transform));
      } else {
        run(primitiveTranslator(transform), transform);
      }
    }

    @Override
    public void visitValue(PValue value, TransformHierarchy.Node producer) {}

    private void run(TransformTranslator translator, AppliedPTransform<?, ?, ?> transform) {
      try {
        translator.translate(transform, context);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(
            "could not translate " + transform.getFullName() + ": " + e, e);
      }
    }
  }
}
