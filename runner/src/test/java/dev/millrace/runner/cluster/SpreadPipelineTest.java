package dev.millrace.runner.cluster;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.cluster.testing.TestBroker;
import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillraceRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Java pipeline run as one job by several workers (here three in one JVM, each its own
 * pipeline.run() with its own --clusterWorker) through a real broker gives what one JVM gives.
 */
@Timeout(300)
class SpreadPipelineTest {
  @TempDir static Path brokerDirectory;
  static TestBroker broker;

  /** What the pipelines' last step saw, by run and key; all workers of a run share this JVM. */
  static final Map<String, Map<Long, Long>> SUMS = new ConcurrentHashMap<>();

  @BeforeAll
  static void startBroker() throws Exception {
    broker = TestBroker.start(brokerDirectory);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    broker.close();
  }

  @Test
  void threeWorkersSumWhatOneJvmDoes() throws Exception {
    List<String> single = List.of("--parallelism=3");
    assertThat(run(sumPipeline("single", single)), is(PipelineResult.State.DONE));

    ExecutorService workers = Executors.newFixedThreadPool(3);
    try {
      List<Future<PipelineResult.State>> states = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        List<String> args =
            List.of(
                "--parallelism=3",
                "--clusterBootstrap=" + broker.bootstrapServers(),
                "--clusterJob=sums",
                "--clusterWorker=" + w,
                "--clusterWorkers=3");
        states.add(workers.submit(() -> run(sumPipeline("spread", args))));
      }
      for (Future<PipelineResult.State> state : states) {
        assertThat(state.get(240, TimeUnit.SECONDS), is(PipelineResult.State.DONE));
      }
    } finally {
      workers.shutdownNow();
    }
    Map<Long, Long> expected = new HashMap<>();
    for (long n = 0; n < 20_000; n++) {
      expected.merge(n % 37, n, Long::sum);
    }
    assertThat(SUMS.get("single"), equalTo(expected));
    assertThat(SUMS.get("spread"), equalTo(expected));
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

  private static PipelineResult.State run(Pipeline pipeline) {
    return pipeline.run().waitUntilFinish();
  }

  private static Pipeline sumPipeline(String run, List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.add("--runner=" + MillraceRunner.class.getName());
    all.add("--consoleProgress=false");
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(all.toArray(new String[0]))
            .as(MillracePipelineOptions.class);
    Pipeline p = Pipeline.create(options);
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
