package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Java pipelines submitted to the Millrace job server, their code in the embedded Java harness. */
@Timeout(120)
class PortableJavaPipelineTest {

  static PipelineOptions portableOptions() {
    return PipelineOptionsFactory.fromArgs(
            "--runner=org.apache.beam.runners.portability.testing.TestPortableRunner",
            "--jobServerDriver=" + MillraceJobServerDriver.class.getName(),
            "--jobServerConfig=--job-host=localhost,--job-port=0,--artifact-port=0,--expansion-port=-1,--ui-port=0",
            "--defaultEnvironmentType=EMBEDDED")
        .create();
  }

  static final class FormatWithSuffix extends DoFn<KV<String, Long>, String> {
    private final PCollectionView<String> suffix;

    FormatWithSuffix(PCollectionView<String> suffix) {
      this.suffix = suffix;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element().getKey() + "=" + c.element().getValue() + c.sideInput(suffix));
    }
  }

  @Test
  void wordCountWithSideInput() {
    Pipeline p = Pipeline.create(portableOptions());
    PCollection<String> words =
        p.apply(Create.of("a b c", "b c", "c"))
            .apply(
                FlatMapElements.into(TypeDescriptors.strings())
                    .via(line -> Arrays.asList(line.split(" "))));
    PCollectionView<String> suffix = p.apply("suffix", Create.of("!")).apply(View.asSingleton());
    PCollection<String> counted =
        words
            .apply(Count.perElement())
            .apply(ParDo.of(new FormatWithSuffix(suffix)).withSideInputs(suffix));
    PAssert.that(counted).containsInAnyOrder(List.of("a=1!", "b=2!", "c=3!"));
    PipelineResult result = p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
  }

  /** One input element whose output is far larger than what a bundle answers with at once. */
  static final class Fountain extends DoFn<Integer, KV<Integer, String>> {
    @ProcessElement
    public void process(@Element Integer count, OutputReceiver<KV<Integer, String>> out) {
      String payload = "x".repeat(1_000);
      for (int i = 0; i < count; i++) {
        out.output(KV.of(i % 10, payload));
      }
    }
  }

  /**
   * A bundle may send the runner far more than Beam 2.62's runner side queues before the harness
   * answers (100 messages, each cut at the harness's {@code data_buffer_size_limit}): here 20,000
   * messages from one element. The harness must not wait for the runner to read them while the
   * runner waits for its answer.
   */
  @Test
  void aBundleMaySendMoreThanTheRunnerQueuesBeforeItAnswers() {
    PipelineOptions options = portableOptions();
    options.as(ExperimentalOptions.class).setExperiments(List.of("data_buffer_size_limit=1000"));
    Pipeline p = Pipeline.create(options);
    PCollection<Long> sizes =
        p.apply(Create.of(20_000))
            .apply(ParDo.of(new Fountain()))
            .apply(GroupByKey.create())
            .apply(
                MapElements.into(TypeDescriptors.longs())
                    .via(
                        group -> {
                          long n = 0;
                          for (String ignored : group.getValue()) {
                            n++;
                          }
                          return n;
                        }))
            .apply(Sum.longsGlobally());
    PAssert.thatSingleton(sizes).isEqualTo(20_000L);
    PipelineResult result = p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
  }
}
