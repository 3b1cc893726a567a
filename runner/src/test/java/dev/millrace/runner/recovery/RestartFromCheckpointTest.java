package dev.millrace.runner.recovery;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.MillraceRunner;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A streaming job whose DoFn throws once, late in the input, starts again in the same process from
 * its latest checkpoint ({@code --maxRestarts}) and ends DONE with the result of a run that never
 * failed.
 */
class RestartFromCheckpointTest {
  private static final long RECORDS = 3000;

  /** Failures so far; the DoFn fails while this is below the allowed number. */
  private static final AtomicInteger FAILURES = new AtomicInteger();

  @TempDir Path work;

  /** Throws at record 2500 the first time it sees it. */
  static final class FailsOnce extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long x, OutputReceiver<Long> out) {
      if (x == 2500 && FAILURES.getAndIncrement() == 0) {
        throw new IllegalStateException("record 2500 failed");
      }
      out.output(x);
    }
  }

  @ParameterizedTest(name = "state in {0}")
  @ValueSource(strings = {"rocksdb", "memory"})
  @Timeout(120)
  void aJobThatFailsOnceRestartsFromItsCheckpointAndEndsWithTheFullResult(String stateBackend)
      throws Exception {
    FAILURES.set(0);
    Path output = work.resolve("output");
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--streaming",
                "--jobName=fails-once",
                "--parallelism=2",
                "--stateBackend=" + stateBackend,
                "--checkpointingInterval=100",
                "--checkpointDir=" + work.resolve("checkpoints"))
            .as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply(Read.from(new ThrottledCountingSource(RECORDS, 2000)))
        .apply("Count reads", ParDo.of(new RecoveryPipeline.CountReads()))
        .apply("Fails once", ParDo.of(new FailsOnce()))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(WithKeys.of((Long x) -> x % 7).withKeyType(TypeDescriptors.longs()))
        .apply(Count.perKey())
        .apply(
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
                .via(count -> KV.of("count-" + count.getKey(), Long.toString(count.getValue()))))
        .apply(ParDo.of(new RecoveryPipeline.WindowedWriteFile(output.toString())));
    MillracePipelineResult result = (MillracePipelineResult) pipeline.run();

    assertThat(result.waitUntilFinish(Duration.standardSeconds(90)), is(PipelineResult.State.DONE));
    assertThat(result.restarts(), is(1));
    assertThat(FAILURES.get(), is(2));
    assertThat(RecoveryPipeline.results(output), equalTo(expected()));
    // Committed metrics count the records read before the checkpoint (restored) and after it once,
    // not what the failed attempt did after it too.
    assertThat(RecoveryPipeline.committedReads(result), is(RECORDS));
  }

  /** Per key x % 7 and one-second window (100 records of 10 ms each): how many records. */
  private static Map<String, String> expected() {
    Map<String, Long> counts = new TreeMap<>();
    for (long x = 0; x < RECORDS; x++) {
      counts.merge("count-" + (x % 7) + "-" + (x / 100) * 1000, 1L, Long::sum);
    }
    Map<String, String> results = new TreeMap<>();
    counts.forEach((name, count) -> results.put(name, Long.toString(count)));
    return results;
  }
}
