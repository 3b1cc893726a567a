package dev.millrace.translation.java;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PortRef;
import dev.millrace.translation.CoderElementCodec;
import dev.millrace.translation.TranslationContext;
import dev.millrace.translation.operators.grouping.GroupByKeyOperator;
import dev.millrace.translation.operators.sideinput.SideInputPaneOperator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PCollectionViews;

/**
 * CreatePCollectionView. With the default trigger a view is its PCollection: a ParDo reading it
 * gets every element through a BROADCAST edge, and a window is ready once the watermark passed it.
 * A triggered view is different: each firing is meant to replace what readers see (a newer pane of
 * a Latest singleton replaces the older one), and a window is ready as soon as its first pane
 * exists. So its elements are first grouped, all under one key, by the view's own windowing and
 * trigger, and each group is one {@code SideInputPane}: the whole contents of the view's window as
 * of that firing. That is where the view's readers then read from. A singleton view keeps only the
 * newest firing of a group (see {@link SideInputPaneOperator}).
 */
final class CreateViewTranslator implements TransformTranslator {
  @Override
  public void translate(AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    translateTyped(transform, context);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private <T> void translateTyped(
      AppliedPTransform<?, ?, ?> transform, TranslationContext context) {
    PCollection<T> input = (PCollection<T>) Translations.mainInput(transform);
    PCollection<?> output = Translations.onlyOutput(transform);
    if (input.getWindowingStrategy().getTrigger() instanceof DefaultTrigger) {
      context.setProducer(output, context.producerOf(input));
      return;
    }
    String name = transform.getFullName();
    PortRef keyed =
        context.fuse(
            input, new OperatorNode(name + "/KeyByVoid", SideInputPaneOperator::keyByVoid, 1, 1));
    KvCoder<Void, KV<Long, T>> coder =
        KvCoder.of(VoidCoder.of(), KvCoder.of(VarLongCoder.of(), input.getCoder()));
    boolean singleton =
        isSingleton(((View.CreatePCollectionView<?, ?>) transform.getTransform()).getView());
    PortRef grouped =
        context.startVertex(
            name + "/Panes",
            1,
            new OperatorNode(
                name + "/Panes",
                () ->
                    GroupByKeyOperator.grouping(
                        coder,
                        input.getWindowingStrategy(),
                        context.options(),
                        context.stateBackend()),
                1,
                1));
    context.exchange(
        new PortRef(keyed.vertex(), keyed.operator(), 0),
        grouped,
        EdgeKind.REBALANCE,
        null,
        CoderElementCodec.of(
            WindowedValue.getFullCoder(
                coder, input.getWindowingStrategy().getWindowFn().windowCoder())));
    PortRef panes =
        context.fuse(
            new PortRef(grouped.vertex(), grouped.operator(), 0),
            new OperatorNode(
                name + "/ToPanes", () -> SideInputPaneOperator.toPanes(singleton), 1, 1));
    // Main-input readers (none in Beam's own expansions) see the elements; side-input readers
    // of the view, whichever PCollection the view names, see the panes.
    context.setProducer(output, context.producerOf(input));
    PortRef out = new PortRef(panes.vertex(), panes.operator(), 0);
    context.setSideInputSource(input, out);
    context.setSideInputSource(output, out);
  }

  /** A view whose ViewFn fails on more than one element: it keeps the newest firing only. */
  @SuppressWarnings("deprecation") // SingletonViewFn: the older pipelines' singleton
  private static boolean isSingleton(PCollectionView<?> view) {
    ViewFn<?, ?> fn = view.getViewFn();
    return fn instanceof PCollectionViews.SingletonViewFn2
        || fn instanceof PCollectionViews.SingletonViewFn;
  }
}
