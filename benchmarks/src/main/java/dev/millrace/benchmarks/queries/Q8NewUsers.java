package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Auction;
import dev.millrace.benchmarks.nexmark.Event;
import dev.millrace.benchmarks.nexmark.EventCoder;
import dev.millrace.benchmarks.nexmark.Person;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/** Q8: persons who opened an auction in the same fixed 10 s window they joined, by CoGroupByKey. */
public final class Q8NewUsers implements Query {
  static final long WINDOW_MILLIS = 10_000;

  @Override
  public String name() {
    return "Q8";
  }

  static String line(long windowEnd, Person p, Auction a) {
    return windowEnd + "," + p.id() + "," + p.name() + "," + a.id() + "," + a.reserve();
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    KvCoder<Long, Event> coder = KvCoder.of(VarLongCoder.of(), EventCoder.of());
    TypeDescriptor<KV<Long, Event>> kvType =
        TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptor.of(Event.class));
    Window<Event> window = Window.into(FixedWindows.of(Duration.millis(WINDOW_MILLIS)));
    PCollection<KV<Long, Event>> persons =
        Events.persons(events)
            .apply("PersonWindows", window)
            .apply("ById", MapElements.into(kvType).via((Event e) -> KV.of(e.person().id(), e)))
            .setCoder(coder);
    PCollection<KV<Long, Event>> auctions =
        Events.auctions(events)
            .apply("AuctionWindows", window)
            .apply(
                "BySeller",
                MapElements.into(kvType).via((Event e) -> KV.of(e.auction().seller(), e)))
            .setCoder(coder);
    TupleTag<Event> personTag = new TupleTag<>();
    TupleTag<Event> auctionTag = new TupleTag<>();
    return KeyedPCollectionTuple.of(personTag, persons)
        .and(auctionTag, auctions)
        .apply(CoGroupByKey.create())
        .apply(
            "Match",
            ParDo.of(
                new DoFn<KV<Long, CoGbkResult>, String>() {
                  @ProcessElement
                  public void process(
                      @Element KV<Long, CoGbkResult> joined,
                      BoundedWindow w,
                      OutputReceiver<String> out) {
                    long end = w.maxTimestamp().getMillis() + 1;
                    for (Event p : joined.getValue().getAll(personTag)) {
                      for (Event a : joined.getValue().getAll(auctionTag)) {
                        out.output(line(end, p.person(), a.auction()));
                      }
                    }
                  }
                }));
  }

  @Override
  public PlainQuery plain() {
    return new PlainQuery() {
      private final Map<Long, Map<Long, Person>> persons = new HashMap<>();
      private final Map<Long, Map<Long, List<Auction>>> auctions = new HashMap<>();

      @Override
      public void accept(Event e, Consumer<String> out) {
        if (e.person() != null) {
          persons
              .computeIfAbsent(Q7HighestBid.windowEnd(e.timestamp()), k -> new HashMap<>())
              .put(e.person().id(), e.person());
        } else if (e.auction() != null) {
          auctions
              .computeIfAbsent(Q7HighestBid.windowEnd(e.timestamp()), k -> new HashMap<>())
              .computeIfAbsent(e.auction().seller(), k -> new ArrayList<>())
              .add(e.auction());
        }
      }

      @Override
      public void finish(Consumer<String> out) {
        persons.forEach(
            (end, byId) -> {
              Map<Long, List<Auction>> sellers = auctions.getOrDefault(end, Map.of());
              byId.forEach(
                  (id, p) ->
                      sellers
                          .getOrDefault(id, List.of())
                          .forEach(a -> out.accept(line(end, p, a))));
            });
      }
    };
  }
}
