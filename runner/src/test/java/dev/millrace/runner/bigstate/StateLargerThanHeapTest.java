package dev.millrace.runner.bigstate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillraceRunner;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stateful job whose bag state is far larger than the JVM's heap. Runs in its own JVM with {@code
 * -Xmx256m} (see the runner's pom); the default test run skips it.
 */
class StateLargerThanHeapTest {
  static final int KEYS = 2_000;
  static final int VALUE_BYTES = 1_000;
  static final long ELEMENTS = 1_000_000L;

  /** Per key: elements and bytes the timer found in the bag. */
  static final Map<Integer, long[]> FOUND = new ConcurrentHashMap<>();

  static byte[] valueOf(long x) {
    byte[] value = new byte[VALUE_BYTES];
    long seed = x * 0x9E3779B97F4A7C15L;
    for (int i = 0; i < VALUE_BYTES; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 7;
      seed ^= seed << 17;
      value[i] = (byte) seed;
    }
    return value;
  }

  static final class ToKeyed extends DoFn<Long, KV<Integer, byte[]>> {
    @ProcessElement
    public void process(@Element Long x, OutputReceiver<KV<Integer, byte[]>> out) {
      out.output(KV.of((int) (x % KEYS), valueOf(x)));
    }
  }

  static final class Buffer extends DoFn<KV<Integer, byte[]>, Void> {
    @StateId("bag")
    private final StateSpec<BagState<byte[]>> bagSpec = StateSpecs.bag(ByteArrayCoder.of());

    @StateId("key")
    private final StateSpec<org.apache.beam.sdk.state.ValueState<Integer>> keySpec =
        StateSpecs.value(org.apache.beam.sdk.coders.VarIntCoder.of());

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<Integer, byte[]> element,
        BoundedWindow window,
        @StateId("bag") BagState<byte[]> bag,
        @StateId("key") org.apache.beam.sdk.state.ValueState<Integer> key,
        @TimerId("end") Timer end) {
      bag.add(element.getValue());
      key.write(element.getKey());
      end.set(window.maxTimestamp());
    }

    @OnTimer("end")
    public void onEnd(
        @StateId("bag") BagState<byte[]> bag,
        @StateId("key") org.apache.beam.sdk.state.ValueState<Integer> key) {
      long count = 0;
      long bytes = 0;
      for (byte[] value : bag.read()) {
        count++;
        bytes += value.length;
      }
      FOUND.put(key.read(), new long[] {count, bytes});
    }
  }

  @Test
  @Timeout(1200)
  void bagStateLargerThanTheHeapCompletes() {
    long maxHeap = Runtime.getRuntime().maxMemory();
    long stateBytes = ELEMENTS * VALUE_BYTES;
    assertThat("the state must not fit in the heap", stateBytes, greaterThan(2 * maxHeap));

    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setStateBackend("rocksdb");
    Pipeline p = Pipeline.create(options);
    p.apply(GenerateSequence.from(0).to(ELEMENTS))
        .apply(ParDo.of(new ToKeyed()))
        .apply(ParDo.of(new Buffer()));
    assertThat(p.run().waitUntilFinish(), is(PipelineResult.State.DONE));

    System.out.printf(
        "bag state of %d MB over %d keys with a heap of %d MB%n",
        stateBytes >> 20, KEYS, maxHeap >> 20);
    assertThat(FOUND.size(), is(KEYS));
    for (int k = 0; k < KEYS; k++) {
      long expected = ELEMENTS / KEYS + (k < ELEMENTS % KEYS ? 1 : 0);
      assertThat(FOUND.get(k)[0], is(expected));
      assertThat(FOUND.get(k)[1], is(expected * VALUE_BYTES));
    }
  }
}
