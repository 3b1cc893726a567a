package dev.millrace.runner.cluster;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.cluster.testing.NoBroker;
import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillraceRunner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Java pipeline run as one job by several workers (here three in one JVM, each its own
 * pipeline.run() with its own --clusterWorker) through a real broker gives what one JVM gives.
 */
@Timeout(300)
class SpreadPipelineTest extends OnTestBroker {
  /** What the pipelines' last step saw, by run and key; all workers of a run share this JVM. */
  static final Map<String, Map<Long, Long>> SUMS = new ConcurrentHashMap<>();

  @Test
  void threeWorkersSumWhatOneJvmDoes() throws Exception {
    List<String> single = List.of("--parallelism=3");
    assertThat(run(sumPipeline("single", single)), is(PipelineResult.State.DONE));

    runOnWorkers(3, "sums", 3, args -> sumPipeline("spread", args));
    Map<Long, Long> expected = new HashMap<>();
    for (long n = 0; n < 20_000; n++) {
      expected.merge(n % 37, n, Long::sum);
    }
    assertThat(SUMS.get("single"), equalTo(expected));
    assertThat(SUMS.get("spread"), equalTo(expected));
  }

  @Test
  void aStreamingPipelineWithWindowsAndASideInputSpreadsToo() throws Exception {
    assertThat(
        run(windowPipeline("windows-single", List.of("--parallelism=3"))),
        is(PipelineResult.State.DONE));
    runOnWorkers(2, "windows", 4, args -> windowPipeline("windows-spread", args));
    Map<Long, Long> expected = new HashMap<>();
    for (long n = 0; n < 20_000; n++) {
      // Key n % 7, window of n / 1000: one number per key and window.
      expected.merge((n % 7) * 1_000_000 + n / 1000, n + 1000, Long::sum);
    }
    assertThat(SUMS.get("windows-single"), equalTo(expected));
    assertThat(SUMS.get("windows-spread"), equalTo(expected));
  }

  /**
   * A streaming job: numbers with their own value as event time in milliseconds, in windows of a
   * second, each plus a side input's 1000, summed per key and window: a number behind the watermark
   * would be dropped as late and change a sum.
   */
  private static Pipeline windowPipeline(String run, List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.add("--streaming=true");
    Pipeline p = Pipeline.create(options(all));
    PCollectionView<Long> offset = p.apply("Offset", Create.of(1000L)).apply(View.asSingleton());
    p.apply(
            GenerateSequence.from(0)
                .to(20_000)
                .withRate(50_000, Duration.standardSeconds(1))
                .withTimestampFn(Instant::new))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(
            "Plus offset",
            ParDo.of(
                    new DoFn<Long, KV<Long, Long>>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        c.output(KV.of(c.element() % 7, c.element() + c.sideInput(offset)));
                      }
                    })
                .withSideInputs(offset))
        .apply(Sum.longsPerKey())
        .apply(
            "Key and window",
            ParDo.of(
                new DoFn<KV<Long, Long>, KV<Long, Long>>() {
                  @ProcessElement
                  public void process(
                      @Element KV<Long, Long> sum,
                      BoundedWindow window,
                      OutputReceiver<KV<Long, Long>> out) {
                    long second = ((IntervalWindow) window).start().getMillis() / 1000;
                    out.output(KV.of(sum.getKey() * 1_000_000 + second, sum.getValue()));
                  }
                }))
        .apply(ParDo.of(new Record(run)));
    return p;
  }

  @Test
  void aClusterJobNeedsItsNameAndAWorkerOfItsWorkers() {
    IllegalArgumentException noJob =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    sumPipeline(
                        "refused", List.of("--clusterBootstrap=" + broker.bootstrapServers()))));
    assertThat(noJob.getMessage(), containsString("--clusterBootstrap needs --clusterJob"));
    IllegalArgumentException badSlot =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    sumPipeline(
                        "refused",
                        List.of(
                            "--clusterBootstrap=" + broker.bootstrapServers(),
                            "--clusterJob=slots",
                            "--clusterWorker=3",
                            "--clusterWorkers=3"))));
    assertThat(badSlot.getMessage(), containsString("--clusterWorker=3 and --clusterWorkers=3"));
  }

  @Test
  void aBrokerThatIsDownFailsTheRunNamingItsAddress() throws Exception {
    String address = NoBroker.address();
    RuntimeException failed =
        assertThrows(
            RuntimeException.class,
            () ->
                run(
                    sumPipeline(
                        "down",
                        List.of(
                            "--clusterBootstrap=" + address,
                            "--clusterJob=down",
                            "--clusterConnectTimeoutSeconds=2"))));
    String messages = "";
    for (Throwable t = failed; t != null; t = t.getCause()) {
      messages += t.getMessage() + "\n";
    }
    assertThat(messages, containsString("no Kafka broker answered at " + address + " within 2 s"));
    assertThat(SUMS.containsKey("down"), is(false));
  }

  /**
   * Runs the pipeline {@code build} makes as job {@code job} on {@code workers} workers in this JVM
   * (each its own pipeline, run on a thread of its own), {@code parallelism} subtasks per step over
   * all of them; fails unless every worker's share ends DONE.
   */
  private static void runOnWorkers(
      int workers, String job, int parallelism, Function<List<String>, Pipeline> build)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(workers);
    try {
      List<Future<PipelineResult.State>> states = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        List<String> args =
            List.of(
                "--parallelism=" + parallelism,
                "--clusterBootstrap=" + broker.bootstrapServers(),
                "--clusterJob=" + job,
                "--clusterWorker=" + w,
                "--clusterWorkers=" + workers);
        states.add(threads.submit(() -> run(build.apply(args))));
      }
      for (Future<PipelineResult.State> state : states) {
        assertThat(state.get(240, TimeUnit.SECONDS), is(PipelineResult.State.DONE));
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static PipelineResult.State run(Pipeline pipeline) {
    return pipeline.run().waitUntilFinish();
  }

  private static MillracePipelineOptions options(List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.add("--runner=" + MillraceRunner.class.getName());
    all.add("--consoleProgress=false");
    return PipelineOptionsFactory.fromArgs(all.toArray(new String[0]))
        .as(MillracePipelineOptions.class);
  }

  private static Pipeline sumPipeline(String run, List<String> args) {
    Pipeline p = Pipeline.create(options(args));
    p.apply(Create.of(LongStream.range(0, 20_000).boxed().toList()))
        .apply(WithKeys.of((Long n) -> n % 37).withKeyType(TypeDescriptors.longs()))
        .apply(Sum.longsPerKey())
        .apply(ParDo.of(new Record(run)));
    return p;
  }

  /** Puts each key's sum where the test reads it; a key summed twice fails the job. */
  private static final class Record extends DoFn<KV<Long, Long>, Void> {
    private final String run;

    Record(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element KV<Long, Long> sum) {
      Long before =
          SUMS.computeIfAbsent(run, k -> new ConcurrentHashMap<>())
              .putIfAbsent(sum.getKey(), sum.getValue());
      if (before != null) {
        throw new IllegalStateException("key " + sum.getKey() + " was summed twice");
      }
    }
  }
}
