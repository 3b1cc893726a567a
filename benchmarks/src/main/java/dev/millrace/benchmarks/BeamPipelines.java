package dev.millrace.benchmarks;

import dev.millrace.benchmarks.nexmark.Event;
import dev.millrace.benchmarks.nexmark.EventCoder;
import dev.millrace.benchmarks.nexmark.Generator;
import dev.millrace.benchmarks.queries.Query;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * A query as a Beam pipeline: generated events in, the output's checksum out. The checksum travels
 * back in two counters, which every runner reports, so no runner needs a file system or a sink.
 */
public final class BeamPipelines {
  private static final String NAMESPACE = "millrace-benchmark";

  private BeamPipelines() {}

  /** Runs {@code query} over {@code events} events on the runner {@code options} name. */
  public static Checksum run(Query query, long events, long seed, PipelineOptions options) {
    Pipeline p = Pipeline.create(options);
    PCollection<Event> input =
        p.apply("Sequence", GenerateSequence.from(0).to(events))
            .apply("Generate", ParDo.of(new GenerateFn(seed)))
            .setCoder(EventCoder.of());
    query.expand(input).apply("Checksum", ParDo.of(new ChecksumFn()));
    PipelineResult result = p.run();
    awaitEnd(result);
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(NAMESPACE))
                    .build());
    long sum = 0;
    long count = 0;
    for (MetricResult<Long> counter : metrics.getCounters()) {
      if (counter.getName().getName().equals("sum")) {
        sum = counter.getAttempted();
      } else if (counter.getName().getName().equals("lines")) {
        count = counter.getAttempted();
      }
    }
    return Checksum.of(sum, count);
  }

  /**
   * Waits for the job by asking its state often, then collects the end: Beam's portable client
   * polls only every 3 s, which would add up to 3 s to the portable column.
   */
  private static void awaitEnd(PipelineResult result) {
    while (!result.getState().isTerminal()) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the job", e);
      }
    }
    result.waitUntilFinish();
  }

  static final class GenerateFn extends DoFn<Long, Event> {
    private final long seed;

    GenerateFn(long seed) {
      this.seed = seed;
    }

    @ProcessElement
    public void process(@Element Long index, OutputReceiver<Event> out) {
      out.outputWithTimestamp(
          Generator.eventAt(seed, index), new Instant(Generator.timestampOf(index)));
    }
  }

  static final class ChecksumFn extends DoFn<String, Void> {
    private final Counter sum = Metrics.counter(NAMESPACE, "sum");
    private final Counter lines = Metrics.counter(NAMESPACE, "lines");

    @ProcessElement
    public void process(@Element String line) {
      sum.inc(Checksum.hash(line));
      lines.inc();
    }
  }
}
