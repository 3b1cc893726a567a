package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.ParDo;
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
            "--jobServerConfig=--job-host=localhost,--job-port=0,--artifact-port=0,--expansion-port=-1",
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
}
