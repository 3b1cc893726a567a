package dev.millrace.runner.monitor;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import dev.millrace.runner.MillracePipelineResult;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ConsoleProgressTest {

  @Test
  void theLineOfAFinishedBatchJobSaysItsVerticesAreDoneAndWhatItRead() {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=MillraceRunner", "--parallelism=2", "--consoleProgress=false")
                .create());
    p.apply(Create.of(LongStream.range(0, 1000).boxed().toList())).apply(Count.perElement());
    MillracePipelineResult result = (MillracePipelineResult) p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
    MonitoredJob job = MonitoredJobs.ofThisJvm().get(result.id()).orElseThrow();
    String line = ConsoleProgress.line(job);
    assertThat(line, startsWith(result.id() + " "));
    assertThat(line, containsString(" DONE "));
    int vertices = result.currentAttempt().plan().vertices().size();
    assertThat(line, containsString("vertices " + vertices + "/" + vertices + " done"));
    assertThat(line, containsString("· 1000 records read ·"));
  }
}
