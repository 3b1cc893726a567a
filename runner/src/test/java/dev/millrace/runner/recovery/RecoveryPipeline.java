package dev.millrace.runner.recovery;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillraceRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * The streaming pipeline the recovery tests kill and resume: an unbounded source, keyed state and
 * an event-time timer per key and window, a side input, a GroupByKey, and an idempotent sink (one
 * file per result, replaced whole), so a result written twice is written the same.
 *
 * <p>Run as {@code RecoveryPipeline <outputDir> <records> <recordsPerSecond> [pipeline options]}.
 */
public final class RecoveryPipeline {
  private RecoveryPipeline() {}

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args[0]);
    long records = Long.parseLong(args[1]);
    long perSecond = Long.parseLong(args[2]);
    String[] rest = java.util.Arrays.copyOfRange(args, 3, args.length);
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(rest).as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    if (Boolean.getBoolean("recovery.resultsAtEnd")) {
      buildWithResultsAtEnd(pipeline, output, records, perSecond);
    } else {
      build(pipeline, output, records, perSecond);
    }
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state == PipelineResult.State.DONE) {
      System.out.println("committed records read: " + committedReads(result));
    }
    System.exit(state == PipelineResult.State.DONE ? 0 : 1);
  }

  /** The committed value of the {@code records read} counter of a finished job. */
  public static long committedReads(PipelineResult result) {
    return reads(result, true);
  }

  /** The attempted value of the {@code records read} counter (all a portable client reports). */
  public static long attemptedReads(PipelineResult result) {
    return reads(result, false);
  }

  /**
   * The counter over every step that counts reads. Beam's portable client gives a step's value
   * twice (from the job's attempted and its committed metrics, both as attempted): once counts.
   */
  private static long reads(PipelineResult result, boolean committed) {
    Map<String, Long> byStep = new TreeMap<>();
    for (MetricResult<Long> counter :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(RecoveryPipeline.class, "records read"))
                    .build())
            .getCounters()) {
      byStep.merge(
          counter.getKey().stepName(),
          committed ? counter.getCommitted() : counter.getAttempted(),
          Math::max);
    }
    return byStep.values().stream().mapToLong(Long::longValue).sum();
  }

  static void build(Pipeline pipeline, Path output, long records, long perSecond) {
    PCollectionView<Long> multiplier =
        pipeline.apply("Multiplier", Create.of(3L)).apply(View.asSingleton());
    PCollection<KV<Long, Long>> keyed =
        pipeline
            .apply(Read.from(new ThrottledCountingSource(records, perSecond)))
            .apply("Count reads", ParDo.of(new CountReads()))
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
            .apply(WithKeys.of((Long x) -> x % 7).withKeyType(TypeDescriptors.longs()));
    writeResults(keyed, multiplier, new WindowedWriteFile(output.toString()), output);
  }

  /**
   * The same steps in the global window: every result comes at the end of the input, so a run
   * resumed from any checkpoint writes all of them (the checkpoint fixture's pipeline). Counts the
   * records it reads in the {@code records read} counter.
   */
  public static void buildWithResultsAtEnd(
      Pipeline pipeline, Path output, long records, long perSecond) {
    PCollectionView<Long> multiplier =
        pipeline.apply("Multiplier", Create.of(3L)).apply(View.asSingleton());
    PCollection<KV<Long, Long>> keyed =
        pipeline
            .apply(Read.from(new ThrottledCountingSource(records, perSecond)))
            .apply("Count reads", ParDo.of(new CountReads()))
            // The global window, its one pane at the end of the input (GroupByKey wants it said).
            .apply(
                Window.<Long>into(new GlobalWindows())
                    .triggering(AfterWatermark.pastEndOfWindow())
                    .withAllowedLateness(Duration.ZERO)
                    .discardingFiredPanes())
            .apply(WithKeys.of((Long x) -> x % 7).withKeyType(TypeDescriptors.longs()));
    writeResults(keyed, multiplier, new WriteFile(output.toString()), output);
  }

  /** Per key (and window): the stateful sum and the count, each to its own file. */
  private static void writeResults(
      PCollection<KV<Long, Long>> keyed,
      PCollectionView<Long> multiplier,
      WriteFile countWriter,
      Path output) {
    keyed
        .apply(
            "Sum at window end",
            ParDo.of(new SumAtWindowEnd(multiplier)).withSideInputs(multiplier))
        .apply("Write sums", ParDo.of(new WriteFile(output.toString())));
    keyed
        .apply(Count.perKey())
        .apply(
            "Name counts",
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via(count -> KV.of("count-" + count.getKey(), Long.toString(count.getValue()))))
        .apply("Write counts", ParDo.of(countWriter));
  }

  /** Records read by every run in this JVM (a harness embedded in it included). */
  public static final AtomicLong READS_IN_THIS_JVM = new AtomicLong();

  static final class CountReads extends DoFn<Long, Long> {
    private final Counter reads = Metrics.counter(RecoveryPipeline.class, "records read");

    @ProcessElement
    public void process(@Element Long x, OutputReceiver<Long> out) {
      reads.inc();
      READS_IN_THIS_JVM.incrementAndGet();
      out.output(x);
    }
  }

  /**
   * What {@link #buildWithResultsAtEnd} writes for {@code records} records: per key x % 7, the sum
   * of 3x and the count.
   */
  public static Map<String, String> resultsAtEnd(long records) {
    Map<String, String> results = new TreeMap<>();
    long[] sums = new long[7];
    long[] counts = new long[7];
    for (long x = 0; x < records; x++) {
      sums[(int) (x % 7)] += 3 * x;
      counts[(int) (x % 7)]++;
    }
    for (int key = 0; key < 7; key++) {
      results.put("sum-" + key, Long.toString(sums[key]));
      results.put("count-" + key, Long.toString(counts[key]));
    }
    return results;
  }

  /**
   * Per key and window: the sum of the values times the side input, emitted at the window's end.
   */
  static final class SumAtWindowEnd extends DoFn<KV<Long, Long>, KV<String, String>> {
    private final PCollectionView<Long> multiplier;

    @StateId("sum")
    private final StateSpec<ValueState<Long>> sumSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    SumAtWindowEnd(PCollectionView<Long> multiplier) {
      this.multiplier = multiplier;
    }

    @ProcessElement
    public void process(
        ProcessContext context,
        BoundedWindow window,
        @StateId("sum") ValueState<Long> sum,
        @TimerId("end") Timer end) {
      Long sofar = sum.read();
      long value = context.element().getValue() * context.sideInput(multiplier);
      sum.write(sofar == null ? value : sofar + value);
      end.set(window.maxTimestamp());
    }

    @OnTimer("end")
    public void onEnd(
        @Key Long key,
        BoundedWindow window,
        @StateId("sum") ValueState<Long> sum,
        OutputReceiver<KV<String, String>> out) {
      String name =
          window instanceof IntervalWindow interval
              ? key + "-" + interval.start().getMillis()
              : key.toString();
      out.output(KV.of("sum-" + name, Long.toString(sum.read())));
      sum.clear();
    }
  }

  /** Writes each (name, content) to the file {@code name}, replacing it whole. */
  static class WriteFile extends DoFn<KV<String, String>, Void> {
    private final String directory;

    WriteFile(String directory) {
      this.directory = directory;
    }

    @ProcessElement
    public void process(@Element KV<String, String> result, BoundedWindow window)
        throws IOException {
      write(Path.of(directory), name(result.getKey(), window), result.getValue());
    }

    String name(String key, BoundedWindow window) {
      return key;
    }
  }

  /** Like {@link WriteFile}, the window's start added to the name. */
  static final class WindowedWriteFile extends WriteFile {
    WindowedWriteFile(String directory) {
      super(directory);
    }

    @Override
    String name(String key, BoundedWindow window) {
      return key + "-" + ((IntervalWindow) window).start().getMillis();
    }
  }

  static void write(Path directory, String name, String content) throws IOException {
    Files.createDirectories(directory);
    Path partial = directory.resolve("." + name + ".partial");
    Files.writeString(partial, content, StandardCharsets.UTF_8);
    Files.move(
        partial,
        directory.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  /** Every result file and its content, by name. */
  public static Map<String, String> results(Path directory) {
    Map<String, String> results = new TreeMap<>();
    if (!Files.isDirectory(directory)) {
      return results;
    }
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (!file.getFileName().toString().startsWith(".")) {
          results.put(
              file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return results;
  }
}
