package dev.millrace.translation.java;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.CoderElementCodec;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.grouping.AccumulatorMergingFn;
import dev.millrace.translation.operators.grouping.CombineSpec;
import dev.millrace.translation.operators.grouping.FinalCombineOperator;
import dev.millrace.translation.operators.grouping.GroupByKeyOperator;
import dev.millrace.translation.operators.grouping.PartialCombineOperator;
import dev.millrace.translation.operators.grouping.SlidingSlices;
import dev.millrace.translation.operators.grouping.onepane.SessionCombineOperator;
import dev.millrace.translation.operators.grouping.onepane.SlidingCombineOperator;
import dev.millrace.translation.operators.grouping.onepane.WindowCombineOperator;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.util.AppliedCombineFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Combine.perKey with combiner lifting: a partial combine fused before the HASH exchange (one
 * accumulator per key and window per bundle), the merge after it. Two kinds of merge:
 *
 * <ul>
 *   <li>{@link Lifting#ONCE_AT_THE_END}, in batch jobs where one on-time pane per window is the
 *       whole answer (bounded input, default trigger): accumulators on the heap, emitted when the
 *       watermark passes each window;
 *   <li>{@link Lifting#THROUGH_STATE} otherwise (streaming, any trigger): ReduceFnRunner with
 *       Beam's combining reduce function keeps one accumulator per key and window in keyed state,
 *       so state holds an accumulator, not every value, and panes fire as the trigger says.
 * </ul>
 *
 * Neither applies with side inputs, windows still to be merged (a bundle's partial accumulators
 * would be per unmerged window; windows an earlier GroupByKey merged are final), an accumulator
 * coder Beam cannot give, or a CombineFnWithContext in streaming; then the composite's own
 * expansion (GroupByKey, then a ParDo) is translated instead.
 */
final class CombinePerKeyTranslator implements TransformTranslator {

  enum Lifting {
    ONCE_AT_THE_END,
    THROUGH_STATE,
    /** No partial step: each input goes into its session's accumulator after the exchange. */
    SESSIONS
  }

  private final Lifting lifting;

  private CombinePerKeyTranslator(Lifting lifting) {
    this.lifting = lifting;
  }

  /** The translator for {@code transform} in a job of this kind, or null to expand it. */
  static CombinePerKeyTranslator forTransform(
      AppliedPTransform<?, ?, ?> transform, boolean streaming) {
    if (!(transform.getTransform() instanceof Combine.PerKey<?, ?, ?> combine)) {
      return null;
    }
    PCollection<?> input = Translations.mainInput(transform);
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    if (!combine.getSideInputs().isEmpty()
        || !(input.getCoder() instanceof KvCoder)
        || accumulatorCoder(combine, input) == null) {
      return null;
    }
    boolean bounded = input.isBounded() == PCollection.IsBounded.BOUNDED;
    if (windowing.needsMerge()) {
      // Bounded input in a batch job is grouped once at the end, merging included.
      return (streaming || !bounded)
              && SessionCombineOperator.applies(windowing)
              && combine.getFn() instanceof Combine.CombineFn
          ? new CombinePerKeyTranslator(Lifting.SESSIONS)
          : null;
    }
    if (!streaming && bounded && windowing.getTrigger() instanceof DefaultTrigger) {
      return new CombinePerKeyTranslator(Lifting.ONCE_AT_THE_END);
    }
    return combine.getFn() instanceof Combine.CombineFn
        ? new CombinePerKeyTranslator(Lifting.THROUGH_STATE)
        : null;
  }

  /**
   * The accumulators' coder, which crosses the exchange; null if Beam cannot give one (then no
   * lifting).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<?> accumulatorCoder(Combine.PerKey<?, ?, ?> combine, PCollection<?> input) {
    try {
      return ((GlobalCombineFn) combine.getFn())
          .getAccumulatorCoder(
              input.getPipeline().getCoderRegistry(),
              ((KvCoder<?, ?>) input.getCoder()).getValueCoder());
    } catch (CannotProvideCoderException e) {
      return null;
    }
  }

  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context)
      throws Exception {
    translateTyped(transform, context);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private <K, InputT, AccumT, OutputT> void translateTyped(
      AppliedPTransform<?, ?, ?> transform, TranslationContext context) throws Exception {
    Combine.PerKey<K, InputT, OutputT> combine =
        (Combine.PerKey<K, InputT, OutputT>) transform.getTransform();
    PCollection<?> input = Translations.mainInput(transform);
    KvCoder<K, InputT> coder = (KvCoder<K, InputT>) input.getCoder();
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    CombineSpec<K, InputT, AccumT, OutputT> spec =
        new CombineSpec<>(
            (GlobalCombineFn) combine.getFn(),
            coder.getKeyCoder(),
            windowing.getTimestampCombiner(),
            context.options());
    String name = transform.getFullName();
    if (lifting == Lifting.SESSIONS) {
      translateSessions(transform, combine, input, coder, name, context);
      return;
    }
    // Sliding windows merged by slices are partly combined by slices too: an input goes once into
    // its slice, not once into each of its windows, and one accumulator per slice is sent.
    SlidingSlices slices =
        lifting != Lifting.ONCE_AT_THE_END
                && combine.getFn() instanceof Combine.CombineFn
                && SlidingCombineOperator.applies(windowing)
            ? SlidingSlices.of(windowing)
            : null;
    PortRef partial =
        context.fuse(
            input,
            new OperatorNode(
                name + "/Partial", () -> new PartialCombineOperator<>(spec, slices), 1, 1));
    Coder<AccumT> accumulatorCoder = (Coder<AccumT>) accumulatorCoder(combine, input);
    KvCoder<K, AccumT> accumulators = KvCoder.of(coder.getKeyCoder(), accumulatorCoder);
    OperatorNode merge;
    if (lifting == Lifting.ONCE_AT_THE_END) {
      merge = new OperatorNode(name + "/Merge", () -> new FinalCombineOperator<>(spec), 1, 1);
    } else {
      Combine.CombineFn<InputT, AccumT, OutputT> fn =
          (Combine.CombineFn<InputT, AccumT, OutputT>) combine.getFn();
      AccumulatorMergingFn<AccumT, OutputT> mergingFn =
          new AccumulatorMergingFn<>(fn, accumulatorCoder);
      if (SlidingCombineOperator.applies(windowing)) {
        // Sliding windows: each input into one slice, merged as each window fires.
        merge =
            new OperatorNode(
                name + "/Merge",
                () ->
                    new SlidingCombineOperator<>(
                        accumulators,
                        windowing,
                        mergingFn,
                        accumulatorCoder,
                        context.stateBackend()),
                1,
                1);
      } else if (WindowCombineOperator.applies(windowing)) {
        // One pane per window: the accumulators go straight into their window's, no ReduceFnRunner.
        merge =
            new OperatorNode(
                name + "/Merge",
                () ->
                    new WindowCombineOperator<>(
                        accumulators,
                        windowing,
                        mergingFn,
                        accumulatorCoder,
                        context.stateBackend()),
                1,
                1);
      } else {
        AppliedCombineFn<K, AccumT, AccumT, OutputT> merging =
            AppliedCombineFn.withAccumulatorCoder(mergingFn, accumulatorCoder);
        merge =
            new OperatorNode(
                name + "/Merge",
                () ->
                    new GroupByKeyOperator<>(
                        accumulators,
                        () -> SystemReduceFn.combining(coder.getKeyCoder(), merging),
                        windowing,
                        context.options(),
                        context.stateBackend()),
                1,
                1);
      }
    }
    PortRef merged = context.startVertex(name, context.parallelism(), merge);
    PortRef accumulatorsOut = new PortRef(partial.vertex(), partial.operator(), 0);
    context.exchange(
        accumulatorsOut,
        merged,
        EdgeKind.HASH,
        context.keyGroupsOf(coder.getKeyCoder()),
        CoderElementCodec.of(
            WindowedValue.getFullCoder(accumulators, windowing.getWindowFn().windowCoder())));
    context.setProducer(
        Translations.onlyOutput(transform), new PortRef(merged.vertex(), merged.operator(), 0));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private <K, InputT, AccumT, OutputT> void translateSessions(
      AppliedPTransform<?, ?, ?> transform,
      Combine.PerKey<K, InputT, OutputT> combine,
      PCollection<?> input,
      KvCoder<K, InputT> coder,
      String name,
      TranslationContext context) {
    Combine.CombineFn<InputT, AccumT, OutputT> fn =
        (Combine.CombineFn<InputT, AccumT, OutputT>) combine.getFn();
    Coder<AccumT> accumulatorCoder = (Coder<AccumT>) accumulatorCoder(combine, input);
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    PortRef sessions =
        context.startVertex(
            name,
            context.parallelism(),
            new OperatorNode(
                name,
                () ->
                    new SessionCombineOperator<>(
                        coder, windowing, fn, accumulatorCoder, context.stateBackend()),
                1,
                1));
    context.exchange(input, sessions, EdgeKind.HASH, context.keyGroupsOf(coder.getKeyCoder()));
    context.setProducer(Translations.onlyOutput(transform), sessions);
  }
}
