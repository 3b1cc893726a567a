package dev.millrace.runner.bigstate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import dev.millrace.runner.MillracePipelineOptions;
import dev.millrace.runner.MillraceRunner;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A batch GroupByKey of ten times the heap, with the defaults (state in memory): the grouping keeps
 * to its share of the heap and spills sorted runs past it, and every value reaches its key whole
 * and once. Before, this ran out of memory. Runs in its own JVM with {@code -Xmx256m} (see the
 * runner's pom); the default test run skips it.
 */
class GroupByKeyLargerThanHeapTest {
  static final long VALUES = 2_600_000L;
  static final int KEYS = 1_000;

  static final AtomicLong GROUPS = new AtomicLong();
  static final AtomicLong SEEN = new AtomicLong();
  static final AtomicLong WRONG = new AtomicLong();

  static final int VALUE_BYTES = 1_000;

  /**
   * A kilobyte that says which x it is: x in its first eight bytes, then bytes that follow from x.
   */
  static byte[] valueOf(long x) {
    byte[] value = new byte[VALUE_BYTES];
    java.nio.ByteBuffer.wrap(value).putLong(x);
    for (int i = 8; i < VALUE_BYTES; i++) {
      value[i] = (byte) (x * 31 + i);
    }
    return value;
  }

  /** Value x of key x % KEYS. */
  static final class ToKeyedBytes extends DoFn<Long, KV<Long, byte[]>> {
    @ProcessElement
    public void process(@Element Long x, OutputReceiver<KV<Long, byte[]>> out) {
      out.output(KV.of(x % KEYS, valueOf(x)));
    }
  }

  /** Checks that a key has all its values, each whole and once. */
  static final class CheckGroup extends DoFn<KV<Long, Iterable<byte[]>>, Void> {
    @ProcessElement
    public void process(@Element KV<Long, Iterable<byte[]>> group) {
      long key = group.getKey();
      boolean[] seen = new boolean[(int) (VALUES / KEYS)];
      long count = 0;
      for (byte[] value : group.getValue()) {
        count++;
        long x = java.nio.ByteBuffer.wrap(value).getLong();
        int index = (int) (x / KEYS);
        if (x % KEYS != key
            || index >= seen.length
            || seen[index]
            || !Arrays.equals(value, valueOf(x))) {
          WRONG.incrementAndGet();
        } else {
          seen[index] = true;
        }
      }
      if (count != VALUES / KEYS) {
        WRONG.incrementAndGet();
      }
      GROUPS.incrementAndGet();
      SEEN.addAndGet(count);
    }
  }

  @Test
  @Timeout(300)
  void aGroupingOfTenTimesTheHeapFinishesWithTheDefaults() {
    assertThat(
        "this test runs with -Xmx256m", Runtime.getRuntime().maxMemory() <= 300L << 20, is(true));
    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(2);
    Pipeline p = Pipeline.create(options);
    p.apply(GenerateSequence.from(0).to(VALUES))
        .apply(ParDo.of(new ToKeyedBytes()))
        .setCoder(KvCoder.of(VarLongCoder.of(), ByteArrayCoder.of()))
        .apply(GroupByKey.create())
        .apply(ParDo.of(new CheckGroup()));
    assertThat(p.run().waitUntilFinish(), is(PipelineResult.State.DONE));
    assertThat(GROUPS.get(), is((long) KEYS));
    assertThat(SEEN.get(), is(VALUES));
    assertThat(WRONG.get(), is(0L));
  }
}
