package dev.millrace.translation.operators.grouping.onepane;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.engine.testing.OperatorHarness;
import dev.millrace.plan.OperatorFactory;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.translation.operators.grouping.GroupByKeyOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.AppliedCombineFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * Judges a one-pane grouping against the general grouping (runners-core's ReduceFnRunner, buffering
 * or over the same CombineFn): the same results, in the same windows, with the same timestamps and
 * panes.
 */
final class OnePaneJudge {
  static final KvCoder<String, Long> CODER = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());

  private OnePaneJudge() {}

  /** A window's values, sorted: a lost, doubled or misplaced value shows. */
  static class Values extends Combine.CombineFn<Long, List<Long>, String> {
    @Override
    public List<Long> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Long> addInput(List<Long> accumulator, Long input) {
      accumulator.add(input);
      return accumulator;
    }

    @Override
    public List<Long> mergeAccumulators(Iterable<List<Long>> accumulators) {
      List<Long> merged = new ArrayList<>();
      accumulators.forEach(merged::addAll);
      return merged;
    }

    @Override
    public String extractOutput(List<Long> accumulator) {
      List<Long> sorted = new ArrayList<>(accumulator);
      sorted.sort(null);
      return sorted.toString();
    }

    @Override
    public Coder<List<Long>> getAccumulatorCoder(CoderRegistry registry, Coder<Long> inputCoder) {
      return ListCoder.of(VarLongCoder.of());
    }
  }

  /** The general GroupByKey of {@code windowing}. */
  static OperatorFactory generalGroupByKey(
      WindowingStrategy<?, ?> windowing, StateBackend backend) {
    return () ->
        GroupByKeyOperator.grouping(CODER, windowing, PipelineOptionsFactory.create(), backend);
  }

  /** The general grouping of {@code windowing} over {@link Values}. */
  static OperatorFactory general(WindowingStrategy<?, ?> windowing, StateBackend backend) {
    AppliedCombineFn<String, Long, List<Long>, String> applied =
        AppliedCombineFn.withInputCoder(new Values(), CoderRegistry.createDefault(), CODER);
    return () ->
        new GroupByKeyOperator<String, Long, String, BoundedWindow>(
            CODER,
            () -> SystemReduceFn.combining(StringUtf8Coder.of(), applied),
            windowing,
            PipelineOptionsFactory.create(),
            backend);
  }

  /** A value of key k0-k2 at {@code millis}, in the windows {@code windows} gives it. */
  static WindowedValue<KV<String, Long>> at(
      String key, long value, long millis, LongFunction<List<BoundedWindow>> windows) {
    return WindowedValue.of(
        KV.of(key, value), new Instant(millis), windows.apply(millis), PaneInfo.NO_FIRING);
  }

  /** Each result or pane as "key [start, end) @timestamp pane = values". */
  static List<String> results(List<Object> emitted) {
    List<String> results = new ArrayList<>();
    for (Object e : emitted) {
      @SuppressWarnings("unchecked")
      WindowedValue<KV<String, ?>> result = (WindowedValue<KV<String, ?>>) e;
      BoundedWindow window = result.getWindows().iterator().next();
      Object value = result.getValue().getValue();
      if (value instanceof Iterable<?> grouped) {
        // A GroupByKey's values, in no particular order.
        List<Long> sorted = new ArrayList<>();
        grouped.forEach(v -> sorted.add((Long) v));
        sorted.sort(null);
        value = sorted;
      }
      results.add(
          result.getValue().getKey()
              + " "
              + window
              + " @"
              + result.getTimestamp().getMillis()
              + " "
              + result.getPane()
              + " = "
              + value);
    }
    return results;
  }

  /**
   * Feeds both the same random input for 20 seeds: out of order by up to 20 ms, so that some is
   * late, watermarks now and then, then the end; both must give the same results.
   */
  static void sameAsTheGeneralGrouping(
      OperatorFactory fast, OperatorFactory general, LongFunction<List<BoundedWindow>> windows)
      throws Exception {
    for (long seed = 1; seed <= 20; seed++) {
      try (OperatorHarness fastHarness = OperatorHarness.open(fast, 1, 1, true);
          OperatorHarness reference = OperatorHarness.open(general, 1, 1, true)) {
        Random random = new Random(seed);
        long watermark = Watermarks.MIN;
        long time = 0;
        List<String> fastResults = new ArrayList<>();
        List<String> referenceResults = new ArrayList<>();
        for (int step = 0; step < 300; step++) {
          if (random.nextInt(10) == 0) {
            long next = time - 15 + random.nextInt(10);
            if (next > watermark) {
              watermark = next;
              long fastOut = fastHarness.watermark(0, watermark);
              assertThat(
                  "seed " + seed + " step " + step, fastOut, is(reference.watermark(0, watermark)));
            }
          } else {
            time += random.nextInt(4);
            WindowedValue<KV<String, Long>> element =
                at("k" + random.nextInt(3), step, time - random.nextInt(20), windows);
            fastHarness.element(0, element);
            reference.element(0, element);
          }
          fastResults.addAll(results(fastHarness.take(0)));
          referenceResults.addAll(results(reference.take(0)));
        }
        fastHarness.watermark(0, Watermarks.END);
        reference.watermark(0, Watermarks.END);
        fastResults.addAll(results(fastHarness.take(0)));
        referenceResults.addAll(results(reference.take(0)));
        assertThat("seed " + seed, referenceResults, is(not(empty())));
        assertThat("seed " + seed, fastResults, containsInAnyOrder(referenceResults.toArray()));
      }
    }
  }
}
