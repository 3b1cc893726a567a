package dev.millrace.runner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.runner.examples.WordCount;
import dev.millrace.translation.UnsupportedFeaturesException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
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
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class MillraceRunnerTest {
  /** What the DoFns of these tests saw; static because Beam clones DoFns. */
  private static final Map<String, Long> RESULTS = new ConcurrentHashMap<>();

  private static Pipeline pipeline(int parallelism) {
    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(parallelism);
    return Pipeline.create(options);
  }

  @AfterEach
  void noResultWasEmittedTwice() {
    List<String> duplicates = new ArrayList<>(DUPLICATES);
    DUPLICATES.clear();
    assertThat(duplicates, is(empty()));
  }

  @AfterEach
  void noEngineThreadOutlivesItsJob() throws InterruptedException {
    assertThat(EngineThreads.live(), is(empty()));
  }

  static final class FailOnSeven extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer x, OutputReceiver<Integer> out) {
      if (x == 7) {
        throw new IllegalArgumentException("bad element " + x);
      }
      out.output(x);
    }
  }

  @Test
  @Timeout(10)
  void aPipelineWithoutTransformsEndsDoneAtOnce() {
    PipelineResult result = pipeline(2).run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
    assertThat(result.getState(), is(PipelineResult.State.DONE));
  }

  @Test
  void failingDoFnFailsTheJobWithTheUsersException() {
    Pipeline p = pipeline(2);
    p.apply(Create.of(1, 2, 3, 4, 5, 6, 7, 8, 9)).apply(ParDo.of(new FailOnSeven()));
    PipelineResult result = p.run();
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertThat(e.getCause(), instanceOf(IllegalArgumentException.class));
    assertThat(e.getCause().getMessage(), is("bad element 7"));
    assertThat(e.getCause().getStackTrace()[0].getClassName(), is(FailOnSeven.class.getName()));
    assertThat(result.getState(), is(PipelineResult.State.FAILED));
  }

  /** A primitive no runner knows: it produces its output itself, with no expansion to translate. */
  static final class MysteryPrimitive extends PTransform<PBegin, PCollection<String>> {
    @Override
    public PCollection<String> expand(PBegin input) {
      return PCollection.createPrimitiveOutputInternal(
          input.getPipeline(),
          WindowingStrategy.globalDefault(),
          PCollection.IsBounded.BOUNDED,
          StringUtf8Coder.of());
    }
  }

  @Test
  void unsupportedFeaturesAreAllListedBeforeTheJobStarts() {
    Pipeline p = pipeline(2);
    p.apply("First", new MysteryPrimitive());
    p.apply("Second", new MysteryPrimitive())
        .apply(MapElements.into(TypeDescriptors.strings()).via(s -> s + "!"));
    UnsupportedFeaturesException e = assertThrows(UnsupportedFeaturesException.class, p::run);
    assertThat(e.getMessage(), e.features(), hasSize(2));
    assertThat(
        e.getMessage(),
        e.features(),
        hasItem(containsString("transform First (" + MysteryPrimitive.class.getName())));
    assertThat(e.getMessage(), e.features(), hasItem(containsString("transform Second (")));
  }

  @Test
  void anUnknownStateBackendIsRefusedByName() {
    Pipeline p = pipeline(2);
    p.getOptions().as(MillracePipelineOptions.class).setStateBackend("filesystem");
    p.apply(Create.of(1, 2, 3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::run);
    assertThat(
        e.getMessage(),
        containsString(
            "--stateBackend=filesystem is not a Millrace state backend; use one of memory, rocksdb"));
  }

  static final class Measure extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long x, OutputReceiver<Long> out) {
      Metrics.counter("test", "elements").inc();
      Metrics.distribution("test", "values").update(x);
      Metrics.gauge("test", "last").set(x);
      Metrics.stringSet("test", "parity").add(x % 2 == 0 ? "even" : "odd");
      out.output(x);
    }
  }

  @Test
  void userMetricsAreCommittedAndAttempted() {
    Pipeline p = pipeline(2);
    p.apply(GenerateSequence.from(0).to(1000)).apply("Measure", ParDo.of(new Measure()));
    PipelineResult result = p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace("test"))
                    .build());
    MetricResult<Long> counter = metrics.getCounters().iterator().next();
    assertThat(counter.getCommitted(), is(1000L));
    assertThat(counter.getAttempted(), is(1000L));
    assertThat(counter.getKey().stepName(), is("Measure/ParMultiDo(Measure)"));
    var distribution = metrics.getDistributions().iterator().next().getCommitted();
    assertThat(distribution.getSum(), is(999L * 1000 / 2));
    assertThat(distribution.getMin(), is(0L));
    assertThat(distribution.getMax(), is(999L));
    assertThat(
        metrics.getStringSets().iterator().next().getCommitted().getStringSet(),
        is(java.util.Set.of("even", "odd")));
  }

  @Test
  void aGaugeKeepsTheLastValueSet() {
    // One subtask reads 0..999 in order, so the last value set is 999.
    Pipeline p = pipeline(1);
    p.apply(GenerateSequence.from(0).to(1000)).apply("Measure", ParDo.of(new Measure()));
    PipelineResult result = p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named("test", "last"))
                    .build());
    assertThat(metrics.getGauges().iterator().next().getCommitted().getValue(), is(999L));
  }

  @Test
  void cancelStopsARunningJob() throws Exception {
    Pipeline p = pipeline(2);
    p.apply(GenerateSequence.from(0).to(1L << 40)).apply(Sum.longsGlobally());
    PipelineResult result = p.run();
    assertThat(result.waitUntilFinish(Duration.millis(300)), is((PipelineResult.State) null));
    assertThat(result.getState(), is(PipelineResult.State.RUNNING));
    assertThat(result.cancel(), is(PipelineResult.State.CANCELLED));
    assertThat(result.getState(), is(PipelineResult.State.CANCELLED));
  }

  /** Keys seen more than once by {@link Record}: a result emitted twice must not pass. */
  private static final List<String> DUPLICATES = new java.util.concurrent.CopyOnWriteArrayList<>();

  static final class Record extends DoFn<KV<String, Long>, Void> {
    @ProcessElement
    public void process(@Element KV<String, Long> kv) {
      if (RESULTS.put(kv.getKey(), kv.getValue()) != null) {
        DUPLICATES.add(kv.getKey());
      }
    }
  }

  @Test
  void combinePerKeyIsLiftedBeforeTheExchange() {
    RESULTS.clear();
    Pipeline p = pipeline(2);
    p.apply(GenerateSequence.from(0).to(10_000))
        .apply(
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via(x -> KV.of("k" + (x % 10), x)))
        .apply("Sum", Sum.longsPerKey())
        .apply(ParDo.of(new Record()));
    MillracePipelineResult result = (MillracePipelineResult) p.run();
    result.waitUntilFinish();
    String plan = result.explain();
    // The partial sum runs in the read's vertex, then a HASH edge, then the merge.
    assertThat(plan, containsString("Sum/Partial"));
    assertThat(plan, containsString("HASH"));
    String readVertex = plan.substring(0, plan.indexOf("\nv1 "));
    assertThat(readVertex, containsString("Sum/Partial"));
    for (int k = 0; k < 10; k++) {
      long expected = 0;
      for (long x = k; x < 10_000; x += 10) {
        expected += x;
      }
      assertThat(RESULTS.get("k" + k), is(expected));
    }
  }

  @Test
  void wordCountExampleCountsTheExampleFile() throws Exception {
    RESULTS.clear();
    Path file =
        Path.of(System.getProperty("millrace.rootDir", ".."))
            .resolve("examples/shakespeare-sonnets.txt");
    WordCount.Options options = PipelineOptionsFactory.create().as(WordCount.Options.class);
    options.setRunner(MillraceRunner.class);
    options.setInputFile(file.toString());
    Pipeline p = Pipeline.create(options);
    p.apply(org.apache.beam.sdk.io.TextIO.read().from(file.toString()))
        .apply(WordCount.countWords())
        .apply(ParDo.of(new Record()));
    assertThat(p.run().waitUntilFinish(), is(PipelineResult.State.DONE));

    Map<String, Long> expected =
        Files.readAllLines(file).stream()
            .flatMap(line -> Arrays.stream(line.toLowerCase().split("[^\\p{L}']+")))
            .filter(w -> !w.isEmpty())
            .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(RESULTS, is(expected));
    assertThat(expected.keySet(), hasItem("summer's"));
  }

  @Test
  void unboundedSourceReadUpToARecordLimitFinishes() {
    RESULTS.clear();
    Pipeline p = pipeline(2);
    p.apply(
            org.apache.beam.sdk.io.Read.from(org.apache.beam.sdk.io.CountingSource.unbounded())
                .withMaxNumRecords(50))
        .apply(Count.globally())
        .apply(
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via(n -> KV.of("count", n)))
        .apply(ParDo.of(new Record()));
    assertThat(
        p.run().waitUntilFinish(Duration.standardSeconds(60)), is(PipelineResult.State.DONE));
    assertThat(RESULTS.get("count"), is(50L));
  }

  /** Counts per key in state; an event-time timer at the end of the window emits the count. */
  static final class CountWithTimer extends DoFn<KV<String, Long>, KV<String, Long>> {
    @StateId("count")
    private final StateSpec<ValueState<Long>> countSpec = StateSpecs.value(VarLongCoder.of());

    @StateId("key")
    private final StateSpec<ValueState<String>> keySpec = StateSpecs.value(StringUtf8Coder.of());

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, Long> element,
        BoundedWindow window,
        @StateId("count") ValueState<Long> count,
        @StateId("key") ValueState<String> key,
        @TimerId("end") Timer end) {
      Long current = count.read();
      count.write(current == null ? 1 : current + 1);
      key.write(element.getKey());
      end.set(window.maxTimestamp());
    }

    @OnTimer("end")
    public void onEnd(
        @StateId("count") ValueState<Long> count,
        @StateId("key") ValueState<String> key,
        OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(key.read(), count.read()));
    }
  }

  @Test
  void statefulDoFnWithTimersCountsPerKey() {
    RESULTS.clear();
    Pipeline p = pipeline(2);
    p.apply(GenerateSequence.from(0).to(5_000))
        .apply(
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
                .via(x -> KV.of("k" + (x % 7), x)))
        .apply("Count", ParDo.of(new CountWithTimer()))
        .apply(ParDo.of(new Record()));
    assertThat(p.run().waitUntilFinish(), is(PipelineResult.State.DONE));
    assertThat(RESULTS.size(), is(7));
    for (int k = 0; k < 7; k++) {
      long expected = 0;
      for (long x = k; x < 5_000; x += 7) {
        expected++;
      }
      assertThat(RESULTS.get("k" + k), is(expected));
    }
  }
}
