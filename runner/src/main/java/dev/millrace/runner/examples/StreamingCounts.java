package dev.millrace.runner.examples;

import java.util.Arrays;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A streaming job: an endless, rate-limited stream of events (GenerateSequence), counted per kind
 * in two-second windows, with an early count every half second while a window is open and the final
 * count once the watermark passes its end. Counts are printed as they come; the job is cancelled
 * after {@code --seconds}.
 */
public final class StreamingCounts {

  public interface Options extends PipelineOptions {
    @Description("Events per second")
    @Default.Integer(200)
    int getRate();

    void setRate(int rate);

    @Description("How long to run before cancelling, in seconds")
    @Default.Integer(7)
    int getSeconds();

    void setSeconds(int seconds);
  }

  private StreamingCounts() {}

  /** Prints one count: its window, kind, pane timing and value. */
  static final class Print extends DoFn<KV<String, Long>, Void> {
    @ProcessElement
    public void process(@Element KV<String, Long> count, IntervalWindow window, PaneInfo pane) {
      System.out.printf(
          "%s  window %s-%s  %-7s %-8s %5d%n",
          Instant.now().toString().substring(11, 23),
          window.start().toString().substring(11, 19),
          window.end().toString().substring(11, 19),
          count.getKey(),
          pane.getTiming(),
          count.getValue());
    }
  }

  public static Pipeline build(Options options) {
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(
            "Events",
            GenerateSequence.from(0).withRate(options.getRate(), Duration.standardSeconds(1)))
        .apply(
            "Kind",
            MapElements.into(TypeDescriptors.strings())
                .via(n -> new String[] {"click", "view", "buy"}[(int) (n % 3)]))
        .apply(
            "TwoSecondWindows",
            Window.<String>into(FixedWindows.of(Duration.standardSeconds(2)))
                .triggering(
                    AfterWatermark.pastEndOfWindow()
                        .withEarlyFirings(
                            AfterProcessingTime.pastFirstElementInPane()
                                .plusDelayOf(Duration.millis(500))))
                .withAllowedLateness(Duration.ZERO)
                .accumulatingFiredPanes())
        .apply("CountPerKind", Count.perElement())
        .apply("Print", ParDo.of(new Print()));
    return pipeline;
  }

  public static void main(String[] args) throws Exception {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    if (Arrays.stream(args).noneMatch(a -> a.startsWith("--runner"))) {
      options.setRunner(dev.millrace.runner.MillraceRunner.class);
    }
    PipelineResult result = build(options).run();
    PipelineResult.State state =
        result.waitUntilFinish(Duration.standardSeconds(options.getSeconds()));
    if (state == null) {
      System.out.println("Cancelling after " + options.getSeconds() + " s: " + result.cancel());
    }
  }
}
