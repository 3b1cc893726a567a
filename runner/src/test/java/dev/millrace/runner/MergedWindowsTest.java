package dev.millrace.runner;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Windows a GroupByKey merged are final: a later GroupByKey or Combine groups by them as they are,
 * even where two of them (of different keys before) overlap, as Beam's {@code needsMerge()} says.
 */
@Timeout(120)
class MergedWindowsTest {

  static final class CountValues extends SimpleFunction<Iterable<Integer>, Integer> {
    @Override
    public Integer apply(Iterable<Integer> values) {
      int n = 0;
      for (Integer ignored : values) {
        n++;
      }
      return n;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"--streaming=false", "--streaming=true"})
  void windowsMergedByAGroupByKeyAreNotMergedAgain(String mode) {
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(mode).as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(2);
    Pipeline p = Pipeline.create(options);
    PCollection<KV<String, Iterable<Integer>>> grouped =
        p.apply(
                Create.timestamped(
                    TimestampedValue.of(KV.of("foo", 1), new Instant(1)),
                    TimestampedValue.of(KV.of("foo", 4), new Instant(4)),
                    TimestampedValue.of(KV.of("bar", 3), new Instant(3)),
                    TimestampedValue.of(KV.of("foo", 9), new Instant(9))))
            .apply(Window.into(Sessions.withGapDuration(Duration.millis(4))))
            .apply("First grouping", GroupByKey.create());
    // foo's [1, 8) and bar's [3, 7) overlap, but each is a window of its own from here on.
    PCollection<KV<String, Integer>> rekeyed =
        grouped.apply(Values.create()).apply(Flatten.iterables()).apply(WithKeys.of("same"));
    PAssert.that(rekeyed.apply("Summed", Sum.integersPerKey()).apply("Sums", Values.create()))
        .containsInAnyOrder(5, 9, 3);
    PAssert.that(
            rekeyed
                .apply("Grouped again", GroupByKey.create())
                .apply("Values", Values.create())
                .apply("Count", MapElements.via(new CountValues())))
        .containsInAnyOrder(2, 1, 1);
    p.run().waitUntilFinish();
  }
}
