package dev.millrace.runner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Unbounded pipelines on Millrace: results while they run, cancel, idleness, streaming mode. */
@Timeout(120)
class StreamingRunnerTest {
  /** Window end and count per key as they arrive; static because Beam clones DoFns. */
  private static final Map<String, List<Long>> COUNTS = new ConcurrentHashMap<>();

  private static final List<Long> TICKS = new CopyOnWriteArrayList<>();

  private static Pipeline pipeline(String... extra) {
    List<String> args = new ArrayList<>(List.of("--runner=MillraceRunner", "--parallelism=2"));
    args.addAll(List.of(extra));
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create());
  }

  @AfterEach
  void noEngineThreadOutlivesItsJob() throws InterruptedException {
    assertThat(EngineThreads.live(), is(empty()));
  }

  static final class RecordCount extends DoFn<KV<Long, Long>, Void> {
    @ProcessElement
    public void process(@Element KV<Long, Long> count, IntervalWindow window, PaneInfo pane) {
      COUNTS
          .computeIfAbsent(
              count.getKey() + "@" + window.end().getMillis(), k -> new CopyOnWriteArrayList<>())
          .add(pane.isFirst() ? -count.getValue() : count.getValue());
    }
  }

  /**
   * The issue's first example: a rate-limited endless sequence, one-second windows, counts per key.
   * Counts come out while the job runs (the watermark passes each window), every window holds what
   * the rate allows, and cancel stops it.
   */
  @Test
  void windowedCountsOfAnEndlessStreamArriveWhileItRuns() throws Exception {
    COUNTS.clear();
    Pipeline p = pipeline();
    p.apply(GenerateSequence.from(0).withRate(1000, Duration.standardSeconds(1)))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(x -> KV.of(x % 3, x)))
        .apply(Count.perKey())
        .apply(ParDo.of(new RecordCount()));
    PipelineResult result = p.run();
    assertThat(
        result.waitUntilFinish(Duration.standardSeconds(4)), is((PipelineResult.State) null));
    assertThat(result.getState(), is(PipelineResult.State.RUNNING));
    assertThat(
        ((MillracePipelineResult) result).explain(),
        containsString("streaming job, keyed state in ROCKSDB"));
    assertThat(result.cancel(), is(PipelineResult.State.CANCELLED));
    assertThat("some windows closed while the job ran", COUNTS.size(), greaterThanOrEqualTo(3));
    for (Map.Entry<String, List<Long>> window : COUNTS.entrySet()) {
      // The default trigger: one on-time pane per key and window, about a third of the rate (the
      // source catches up after a slow moment, so a window may get a little more; a duplicated
      // element count would be twice as much).
      assertThat(window.getKey(), window.getValue().size(), is(1));
      long count = -window.getValue().get(0);
      assertThat(window.getKey(), count, greaterThan(0L));
      assertThat(window.getKey(), count, lessThanOrEqualTo(500L));
    }
  }

  static final class RecordTick extends DoFn<Instant, Void> {
    @ProcessElement
    public void process(@Element Instant tick) {
      TICKS.add(tick.getMillis());
    }
  }

  /** PeriodicImpulse is an unbounded splittable DoFn that checkpoints itself between ticks. */
  @Test
  void anUnboundedSplittableDoFnResumesAfterEachCheckpoint() throws Exception {
    TICKS.clear();
    Pipeline p = pipeline();
    p.apply(
            PeriodicImpulse.create()
                .withInterval(Duration.millis(100))
                .stopAfter(Duration.standardHours(1)))
        .apply(ParDo.of(new RecordTick()));
    PipelineResult result = p.run();
    assertThat(
        result.waitUntilFinish(Duration.standardSeconds(2)), is((PipelineResult.State) null));
    result.cancel();
    // About 20 ticks in two seconds, 100 ms apart, in order.
    assertThat(TICKS.size(), greaterThanOrEqualTo(8));
    for (int i = 1; i < TICKS.size(); i++) {
      assertThat(TICKS.get(i) - TICKS.get(i - 1), is(100L));
    }
  }

  /**
   * Draining an endless job: the source stops and ends its input, so every open window fires on
   * time and the job ends DONE; the splittable DoFn's unbounded residual is truncated away.
   */
  @Test
  void drainingEndsAnEndlessJobWithEveryWindowFired() throws Exception {
    COUNTS.clear();
    TICKS.clear();
    Pipeline p = pipeline();
    p.apply(GenerateSequence.from(0).withRate(1000, Duration.standardSeconds(1)))
        .apply(Window.into(FixedWindows.of(Duration.standardHours(1))))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(x -> KV.of(x % 3, x)))
        .apply(Count.perKey())
        .apply(ParDo.of(new RecordCount()));
    p.apply(
            PeriodicImpulse.create()
                .withInterval(Duration.millis(100))
                .stopAfter(Duration.standardHours(1)))
        .apply(ParDo.of(new RecordTick()));
    MillracePipelineResult result = (MillracePipelineResult) p.run();
    assertThat(
        result.waitUntilFinish(Duration.standardSeconds(2)), is((PipelineResult.State) null));
    // An hour-long window cannot have closed yet.
    assertThat(COUNTS.isEmpty(), is(true));
    assertThat(result.drain(Duration.standardSeconds(60)), is(PipelineResult.State.DONE));
    // Each key's hour window fired once, on time, when the drained input ended.
    assertThat(COUNTS.size(), greaterThanOrEqualTo(3));
    long total = 0;
    for (List<Long> panes : COUNTS.values()) {
      assertThat(panes.size(), is(1));
      total += -panes.get(0);
    }
    assertThat("about 1000 events a second for two seconds and more", total, greaterThan(1000L));
    assertThat(TICKS.size(), greaterThanOrEqualTo(8));
  }

  /** An endless source with nothing to read costs next to nothing: the workers sleep. */
  @Test
  void anIdleStreamingJobUsesUnderFivePercentOfACore() throws Exception {
    Pipeline p = pipeline();
    // One element now, the next in an hour.
    p.apply(GenerateSequence.from(0).withRate(1, Duration.standardHours(1)))
        .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply(
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via(x -> KV.of(x, x)))
        .apply(Count.perKey());
    PipelineResult result = p.run();
    Thread.sleep(1_000);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long before = cpuOfMillraceThreads(threads);
    long start = System.nanoTime();
    Thread.sleep(2_000);
    long cpu = cpuOfMillraceThreads(threads) - before;
    long elapsed = System.nanoTime() - start;
    result.cancel();
    System.out.printf(
        "idle streaming job: %.1f ms of CPU in %d ms (%.2f%% of one core)%n",
        cpu / 1e6, elapsed / 1_000_000, cpu * 100.0 / elapsed);
    // Against the time that really passed: a loaded machine oversleeps, and a spinning job would
    // use a core.
    assertThat("CPU of the job's threads while idle, ns", cpu, lessThan(elapsed / 20));
  }

  private static long cpuOfMillraceThreads(ThreadMXBean threads) {
    long total = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("millrace-")) {
        total += Math.max(0, threads.getThreadCpuTime(t.getId()));
      }
    }
    return total;
  }

  static final class Hold extends DoFn<KV<String, Long>, Void> {
    @ProcessElement
    public void process(@Element KV<String, Long> kv, BoundedWindow window) {
      COUNTS.computeIfAbsent(kv.getKey(), k -> new CopyOnWriteArrayList<>()).add(kv.getValue());
    }
  }

  /** --streaming=true runs a bounded pipeline the streaming way, with state in RocksDB. */
  @Test
  void streamingTrueRunsABoundedPipelineTheStreamingWay() {
    COUNTS.clear();
    Pipeline p = pipeline("--streaming=true");
    p.apply(Create.of("a", "b", "a")).apply(Count.perElement()).apply(ParDo.of(new Hold()));
    MillracePipelineResult result = (MillracePipelineResult) p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
    assertThat(result.explain(), containsString("streaming job, keyed state in ROCKSDB"));
    // Combines are lifted in streaming too, their merge then kept in state by ReduceFnRunner.
    assertThat(result.explain(), containsString("Count.PerElement/Combine.perKey(Count)/Partial"));
    assertThat(COUNTS.get("a"), is(List.of(2L)));
    assertThat(COUNTS.get("b"), is(List.of(1L)));

    Pipeline batch = pipeline();
    batch.apply(Create.of("a")).apply(Count.perElement());
    MillracePipelineResult batchResult = (MillracePipelineResult) batch.run();
    batchResult.waitUntilFinish();
    assertThat(batchResult.explain(), containsString("batch job, keyed state in MEMORY"));
  }
}
