package dev.millrace.runner.bigstate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.runner.EngineThreads;
import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillraceRunner;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An OutOfMemoryError in an engine thread fails the job at once: {@code waitUntilFinish} throws it,
 * the memory its steps held is free again, and no engine thread is left. Before, the error escaped
 * a worker while it ended its subtask (the heap still full), the job never ended, and the process
 * spun in garbage collection. Runs in its own JVM with {@code -Xmx256m} (see the runner's pom); the
 * default test run skips it.
 */
class OutOfMemoryFailsTheJobTest {

  /** Keeps 4 MB per element in a field of its own: the heap fills within a few dozen elements. */
  static final class Hoard extends DoFn<Long, Long> {
    private transient List<byte[]> hoard;

    @Setup
    public void setup() {
      hoard = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element Long x) {
      hoard.add(new byte[4 << 20]);
    }
  }

  @Test
  @Timeout(120)
  void anOutOfMemoryErrorFailsTheJobAndFreesItsMemory() throws InterruptedException {
    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(2);
    Pipeline p = Pipeline.create(options);
    p.apply(GenerateSequence.from(0).to(100_000)).apply(ParDo.of(new Hoard()));
    PipelineResult result = p.run();
    Pipeline.PipelineExecutionException failed =
        assertThrows(
            Pipeline.PipelineExecutionException.class,
            () -> {
              if (result.waitUntilFinish(Duration.standardSeconds(60)) == null) {
                throw new AssertionError(
                    "the job was still running a minute after it ran out of memory");
              }
            });
    assertThat(failed.getCause(), instanceOf(OutOfMemoryError.class));
    assertThat(result.getState(), is(PipelineResult.State.FAILED));
    // What the failed steps held is garbage now: half the heap can be had again.
    byte[] again = new byte[128 << 20];
    assertThat(again.length, is(128 << 20));
    assertThat(EngineThreads.live(), is(empty()));
  }
}
