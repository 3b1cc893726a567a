package dev.millrace.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.millrace.runner.MillracePipelineOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Millrace and the Flink runner on one class path (Flink is a test dependency of this module): Beam
 * merges every options interface it finds, so a getter both declare with different types would make
 * every pipeline's options fail to build.
 */
class RunnersOnOneClassPathTest {
  private static final Map<String, Long> COUNTS = new ConcurrentHashMap<>();

  static final class Record extends DoFn<KV<String, Long>, Void> {
    private final String runner;

    Record(String runner) {
      this.runner = runner;
    }

    @ProcessElement
    public void process(@Element KV<String, Long> kv) {
      COUNTS.put(runner + "/" + kv.getKey(), kv.getValue());
    }
  }

  private static void countLetters(PipelineOptions options, String runner) {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of("a", "b", "a", "c", "a"))
        .apply(Count.perElement())
        .apply(ParDo.of(new Record(runner)));
    assertThat(p.run().waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    assertThat(COUNTS.get(runner + "/a"), equalTo(3L));
    assertThat(COUNTS.get(runner + "/c"), equalTo(1L));
  }

  @Test
  @Timeout(180)
  void bothRunnersRunAPipelineWithTheSharedOptionNames() {
    PipelineOptions millrace =
        PipelineOptionsFactory.fromArgs(
                "--runner=MillraceRunner", "--parallelism=2", "--stateBackend=rocksdb")
            .create();
    assertThat(millrace.as(MillracePipelineOptions.class).getParallelism(), equalTo(2));
    assertThat(millrace.as(FlinkPipelineOptions.class).getParallelism(), equalTo(2));
    countLetters(millrace, "millrace");

    PipelineOptions flink =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2")
            .create();
    countLetters(flink, "flink");
  }
}
