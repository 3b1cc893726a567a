package dev.millrace.runner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code Wait.on(signal)} holds the main input until the signal's window is done: here until the
 * signal's late data is in. Wait's view fires only when its window expires ({@code Never.ever()}),
 * so an empty window of it is not ready when the watermark passes its end, only at the end of input
 * or once its pane came.
 */
@Timeout(120)
class WaitOnSignalTest {
  static final List<String> EVENTS = new CopyOnWriteArrayList<>();
  static final AtomicLong MAIN_PASSED_AT = new AtomicLong(Long.MIN_VALUE);

  @BeforeEach
  void reset() {
    EVENTS.clear();
    MAIN_PASSED_AT.set(Long.MIN_VALUE);
  }

  static final class CheckSignal extends DoFn<String, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      long main = MAIN_PASSED_AT.get();
      if (c.timestamp().getMillis() < main) {
        EVENTS.add("signal at " + c.timestamp() + " after main passed at " + new Instant(main));
      }
      c.output(c.element());
    }
  }

  static final class MainPassed extends DoFn<String, Void> {
    @ProcessElement
    public void process(ProcessContext c) {
      MAIN_PASSED_AT.accumulateAndGet(c.timestamp().getMillis(), Math::max);
    }
  }

  private static Window<String> windowed(WindowFn<Object, ?> fn) {
    return Window.<String>into(fn)
        .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
        .withAllowedLateness(Duration.standardSeconds(15))
        .discardingFiredPanes();
  }

  @ParameterizedTest
  @ValueSource(strings = {"fixed", "sliding"})
  void theMainInputWaitsForTheSignalsLateData(String signalWindows) {
    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(2);
    Pipeline p = Pipeline.create(options);
    PCollection<String> events =
        p.apply(
            TestStream.create(StringUtf8Coder.of())
                .addElements(TimestampedValue.of("main", new Instant(14_000)))
                // Past the end of the signal window the main element maps to ([14 s, 21 s) or
                // the last sliding window over 14 s), but within the signal's lateness: no
                // signal window holds data yet, so nothing holds the signal's watermark back.
                .advanceWatermarkTo(new Instant(22_000))
                .addElements(TimestampedValue.of("late signal", new Instant(12_000)))
                .advanceWatermarkToInfinity());
    PCollection<String> signal =
        events
            .apply("Signals", Filter.by(s -> s.contains("signal")))
            .apply(
                "Window signals",
                windowed(
                    signalWindows.equals("fixed")
                        ? FixedWindows.of(Duration.standardSeconds(7))
                        : SlidingWindows.of(Duration.standardSeconds(7))
                            .every(Duration.standardSeconds(1))))
            .apply("Check signal", ParDo.of(new CheckSignal()));
    events
        .apply("Main", Filter.by(s -> s.equals("main")))
        .apply("Window main", windowed(FixedWindows.of(Duration.standardSeconds(15))))
        .apply(Wait.on(signal))
        .apply("Main passed", ParDo.of(new MainPassed()));
    p.run().waitUntilFinish();
    assertThat(MAIN_PASSED_AT.get(), is(14_000L));
    assertThat(EVENTS, is(empty()));
  }
}
