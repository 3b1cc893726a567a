package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Bid;
import dev.millrace.benchmarks.nexmark.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * Q7: per fixed 10 s window, the bids at the window's highest price, found through a side input.
 */
public final class Q7HighestBid implements Query {
  static final long WINDOW_MILLIS = 10_000;

  @Override
  public String name() {
    return "Q7";
  }

  static long windowEnd(long ts) {
    return ts - Math.floorMod(ts, WINDOW_MILLIS) + WINDOW_MILLIS;
  }

  static String line(long windowEnd, Bid b) {
    return windowEnd + "," + b.auction() + "," + b.bidder() + "," + b.price();
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    PCollection<Event> bids =
        Events.bids(events).apply(Window.into(FixedWindows.of(Duration.millis(WINDOW_MILLIS))));
    PCollectionView<Long> maxPrice =
        bids.apply(
                "Price",
                MapElements.into(TypeDescriptors.longs()).via((Event e) -> e.bid().price()))
            .apply(Max.longsGlobally().withoutDefaults())
            .apply(View.asSingleton());
    return bids.apply(
        "AtMax",
        ParDo.of(
                new DoFn<Event, String>() {
                  @ProcessElement
                  public void process(@Element Event e, BoundedWindow window, ProcessContext c) {
                    if (e.bid().price() == c.sideInput(maxPrice)) {
                      c.output(line(window.maxTimestamp().getMillis() + 1, e.bid()));
                    }
                  }
                })
            .withSideInputs(maxPrice));
  }

  @Override
  public PlainQuery plain() {
    return new PlainQuery() {
      private final Map<Long, List<Bid>> atMax = new HashMap<>();

      @Override
      public void accept(Event e, Consumer<String> out) {
        if (e.bid() == null) {
          return;
        }
        Bid b = e.bid();
        List<Bid> best = atMax.computeIfAbsent(windowEnd(b.timestamp()), k -> new ArrayList<>());
        if (!best.isEmpty() && b.price() > best.get(0).price()) {
          best.clear();
        }
        if (best.isEmpty() || b.price() == best.get(0).price()) {
          best.add(b);
        }
      }

      @Override
      public void finish(Consumer<String> out) {
        atMax.forEach((end, best) -> best.forEach(b -> out.accept(line(end, b))));
      }
    };
  }
}
