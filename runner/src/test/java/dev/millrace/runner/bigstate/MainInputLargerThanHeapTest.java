package dev.millrace.runner.bigstate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillraceRunner;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A DoFn whose side input is computed from its own main input: on bounded input every main-input
 * element waits until the side input is complete, and together they are far larger than the heap.
 * With RocksDB state the waiting elements go to disk; with the default state they are held within
 * the job's memory budget and go to disk past it (before, the default ran out of memory). Runs in
 * its own JVM with {@code -Xmx256m} (see the runner's pom); the default test run skips it.
 */
class MainInputLargerThanHeapTest {
  static final int VALUE_BYTES = 1_000;
  static final long ELEMENTS = 700_000L;

  static final AtomicLong SEEN = new AtomicLong();
  static final AtomicLong SEEN_BYTES = new AtomicLong();
  static final AtomicLong WRONG_SIDE_INPUT = new AtomicLong();

  static final class ToBytes extends DoFn<Long, byte[]> {
    @ProcessElement
    public void process(@Element Long x, OutputReceiver<byte[]> out) {
      out.output(StateLargerThanHeapTest.valueOf(x));
    }
  }

  static final class WithCount extends DoFn<byte[], Void> {
    private final PCollectionView<Long> count;

    WithCount(PCollectionView<Long> count) {
      this.count = count;
    }

    @ProcessElement
    public void process(@Element byte[] value, ProcessContext c) {
      if (c.sideInput(count) != ELEMENTS) {
        WRONG_SIDE_INPUT.incrementAndGet();
      }
      SEEN.incrementAndGet();
      SEEN_BYTES.addAndGet(value.length);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb", "default"})
  @Timeout(1200)
  void mainInputWaitingForItsSideInputMayExceedTheHeap(String stateBackend) {
    SEEN.set(0);
    SEEN_BYTES.set(0);
    WRONG_SIDE_INPUT.set(0);
    long maxHeap = Runtime.getRuntime().maxMemory();
    long inputBytes = ELEMENTS * VALUE_BYTES;
    assertThat("the waiting input must not fit in the heap", inputBytes, greaterThan(2 * maxHeap));

    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    if (!stateBackend.equals("default")) {
      options.setStateBackend(stateBackend);
    }
    Pipeline p = Pipeline.create(options);
    PCollection<byte[]> values =
        p.apply(GenerateSequence.from(0).to(ELEMENTS))
            .apply(ParDo.of(new ToBytes()))
            .setCoder(ByteArrayCoder.of());
    PCollectionView<Long> count = values.apply(Count.globally()).apply(View.asSingleton());
    values.apply(ParDo.of(new WithCount(count)).withSideInputs(count));
    assertThat(p.run().waitUntilFinish(), is(PipelineResult.State.DONE));

    System.out.printf(
        "main input of %d MB waited for its side input with a heap of %d MB (%s state)%n",
        inputBytes >> 20, maxHeap >> 20, stateBackend);
    assertThat(WRONG_SIDE_INPUT.get(), is(0L));
    assertThat(SEEN.get(), is(ELEMENTS));
    assertThat(SEEN_BYTES.get(), is(ELEMENTS * VALUE_BYTES));
  }
}
