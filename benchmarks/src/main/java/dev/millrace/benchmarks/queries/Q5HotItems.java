package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/** Q5: per sliding window (10 s, every 2 s), the auctions with the most bids. */
public final class Q5HotItems implements Query {
  static final long SIZE_MILLIS = 10_000;
  static final long PERIOD_MILLIS = 2_000;

  @Override
  public String name() {
    return "Q5";
  }

  static String line(long windowEnd, TreeSet<Long> auctions, long count) {
    return windowEnd + "," + auctions + "," + count;
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    return Events.bids(events)
        .apply(
            Window.into(
                SlidingWindows.of(Duration.millis(SIZE_MILLIS))
                    .every(Duration.millis(PERIOD_MILLIS))))
        .apply(
            "Auction",
            MapElements.into(TypeDescriptors.longs()).via((Event e) -> e.bid().auction()))
        .apply(Count.perElement())
        .apply("Hottest", Combine.globally(new Hottest()).withoutDefaults())
        .apply(
            "Format",
            ParDo.of(
                new DoFn<Hot, String>() {
                  @ProcessElement
                  public void process(
                      @Element Hot hot, BoundedWindow window, OutputReceiver<String> out) {
                    out.output(
                        line(window.maxTimestamp().getMillis() + 1, hot.auctions, hot.count));
                  }
                }));
  }

  /** The highest count so far and every auction that has it. */
  static final class Hot {
    long count = -1;
    TreeSet<Long> auctions = new TreeSet<>();

    void add(long auction, long n) {
      if (n > count) {
        count = n;
        auctions.clear();
      }
      if (n == count) {
        auctions.add(auction);
      }
    }
  }

  static final class Hottest extends Combine.CombineFn<KV<Long, Long>, Hot, Hot> {
    @Override
    public Hot createAccumulator() {
      return new Hot();
    }

    @Override
    public Hot addInput(Hot hot, KV<Long, Long> input) {
      hot.add(input.getKey(), input.getValue());
      return hot;
    }

    @Override
    public Hot mergeAccumulators(Iterable<Hot> accumulators) {
      Hot merged = new Hot();
      for (Hot h : accumulators) {
        for (long auction : h.auctions) {
          merged.add(auction, h.count);
        }
      }
      return merged;
    }

    @Override
    public Hot extractOutput(Hot hot) {
      return hot;
    }

    @Override
    public Coder<Hot> getAccumulatorCoder(
        CoderRegistry registry, Coder<KV<Long, Long>> inputCoder) {
      return new HotCoder();
    }

    @Override
    public Coder<Hot> getDefaultOutputCoder(
        CoderRegistry registry, Coder<KV<Long, Long>> inputCoder) {
      return new HotCoder();
    }
  }

  static final class HotCoder extends AtomicCoder<Hot> {
    @Override
    public void encode(Hot hot, OutputStream out) throws IOException {
      VarLongCoder.of().encode(hot.count, out);
      VarLongCoder.of().encode((long) hot.auctions.size(), out);
      for (long auction : hot.auctions) {
        VarLongCoder.of().encode(auction, out);
      }
    }

    @Override
    public Hot decode(InputStream in) throws IOException {
      Hot hot = new Hot();
      hot.count = VarLongCoder.of().decode(in);
      for (long i = VarLongCoder.of().decode(in); i > 0; i--) {
        hot.auctions.add(VarLongCoder.of().decode(in));
      }
      return hot;
    }

    @Override
    public void verifyDeterministic() {}
  }

  @Override
  public PlainQuery plain() {
    return new PlainQuery() {
      // window end -> auction -> bids
      private final Map<Long, Map<Long, Long>> counts = new HashMap<>();

      @Override
      public void accept(Event e, Consumer<String> out) {
        if (e.bid() == null) {
          return;
        }
        long ts = e.bid().timestamp();
        // The windows [start, start + SIZE) containing ts, start a multiple of PERIOD.
        long lastStart = ts - Math.floorMod(ts, PERIOD_MILLIS);
        for (long start = lastStart; start > ts - SIZE_MILLIS; start -= PERIOD_MILLIS) {
          counts
              .computeIfAbsent(start + SIZE_MILLIS, k -> new HashMap<>())
              .merge(e.bid().auction(), 1L, Long::sum);
        }
      }

      @Override
      public void finish(Consumer<String> out) {
        counts.forEach(
            (end, perAuction) -> {
              Hot hot = new Hot();
              perAuction.forEach(hot::add);
              out.accept(line(end, hot.auctions, hot.count));
            });
      }
    };
  }
}
