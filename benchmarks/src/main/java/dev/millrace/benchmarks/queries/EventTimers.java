package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;

/**
 * TIMERS: per key (bidder mod 1000), counts bids per second of event time and reports each second
 * from an event-time timer set at its end. One timer per key at a time, always at the earliest
 * pending second, so every second of every key costs one timer firing and a few state accesses.
 */
public final class EventTimers implements Query {
  static final int KEYS = 1000;
  static final long BUCKET_MILLIS = 1000;

  @Override
  public String name() {
    return "TIMERS";
  }

  static String line(long key, long bucket, long count) {
    return key + "," + bucket + "," + count;
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    return Events.bids(events)
        .apply(
            "Key",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs()))
                .via((Event e) -> KV.of(e.bid().bidder() % KEYS, e.bid().timestamp())))
        .setCoder(KvCoder.of(VarLongCoder.of(), VarLongCoder.of()))
        .apply("PerSecond", ParDo.of(new PerSecondFn()));
  }

  static final class PerSecondFn extends DoFn<KV<Long, Long>, String> {
    @StateId("counts")
    private final StateSpec<MapState<Long, Long>> countsSpec =
        StateSpecs.map(VarLongCoder.of(), VarLongCoder.of());

    @StateId("next")
    private final StateSpec<ValueState<Long>> nextSpec = StateSpecs.value(VarLongCoder.of());

    @StateId("last")
    private final StateSpec<ValueState<Long>> lastSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("second")
    private final TimerSpec secondSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<Long, Long> element,
        @StateId("counts") MapState<Long, Long> counts,
        @StateId("next") ValueState<Long> next,
        @StateId("last") ValueState<Long> last,
        @TimerId("second") Timer timer) {
      long bucket = element.getValue() / BUCKET_MILLIS;
      Long seen = counts.get(bucket).read();
      counts.put(bucket, seen == null ? 1 : seen + 1);
      Long lastBucket = last.read();
      if (lastBucket == null || bucket > lastBucket) {
        last.write(bucket);
      }
      Long pending = next.read();
      if (pending == null || bucket < pending) {
        next.write(bucket);
        timer.set(new Instant((bucket + 1) * BUCKET_MILLIS));
      }
    }

    @OnTimer("second")
    public void onSecond(
        @Key Long key,
        @StateId("counts") MapState<Long, Long> counts,
        @StateId("next") ValueState<Long> next,
        @StateId("last") ValueState<Long> last,
        @TimerId("second") Timer timer,
        OutputReceiver<String> out) {
      long bucket = next.read();
      out.output(line(key, bucket, counts.get(bucket).read()));
      counts.remove(bucket);
      long lastBucket = last.read();
      for (long b = bucket + 1; b <= lastBucket; b++) {
        if (counts.get(b).read() != null) {
          next.write(b);
          timer.set(new Instant((b + 1) * BUCKET_MILLIS));
          return;
        }
      }
      next.clear();
    }
  }

  @Override
  public PlainQuery plain() {
    return new PlainQuery() {
      private final Map<Long, Map<Long, Long>> counts = new HashMap<>();

      @Override
      public void accept(Event e, Consumer<String> out) {
        if (e.bid() != null) {
          counts
              .computeIfAbsent(e.bid().bidder() % KEYS, k -> new HashMap<>())
              .merge(e.bid().timestamp() / BUCKET_MILLIS, 1L, Long::sum);
        }
      }

      @Override
      public void finish(Consumer<String> out) {
        counts.forEach(
            (key, perSecond) -> perSecond.forEach((bucket, n) -> out.accept(line(key, bucket, n))));
      }
    };
  }
}
