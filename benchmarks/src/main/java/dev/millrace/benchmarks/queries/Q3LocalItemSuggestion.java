package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Auction;
import dev.millrace.benchmarks.nexmark.Event;
import dev.millrace.benchmarks.nexmark.EventCoder;
import dev.millrace.benchmarks.nexmark.Person;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;

/**
 * Q3: sellers in OR, ID or CA and their auctions in category 10, joined by a stateful ParDo. A
 * seller's person record is kept until an event-time timer {@link #VALIDITY_MILLIS} after it, and
 * joins every auction of the seller stamped no later than that: a rule in event time, so the result
 * does not depend on arrival order or on when the watermark moves.
 */
public final class Q3LocalItemSuggestion implements Query {
  static final long VALIDITY_MILLIS = 10_000;
  static final int CATEGORY = 10;
  private static final Set<String> STATES = Set.of("OR", "ID", "CA");

  @Override
  public String name() {
    return "Q3";
  }

  static boolean isLocalSeller(Event e) {
    return e.person() != null && STATES.contains(e.person().state());
  }

  static boolean isInCategory(Event e) {
    return e.auction() != null && e.auction().category() == CATEGORY;
  }

  static boolean joins(Person p, Auction a) {
    return a.timestamp() <= p.timestamp() + VALIDITY_MILLIS;
  }

  static String line(Person p, Auction a) {
    return p.name() + "," + p.city() + "," + p.state() + "," + a.id();
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    KvCoder<Long, Event> coder = KvCoder.of(VarLongCoder.of(), EventCoder.of());
    TypeDescriptor<KV<Long, Event>> kvType =
        TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptor.of(Event.class));
    PCollection<KV<Long, Event>> persons =
        events
            .apply("LocalSellers", Filter.by(Q3LocalItemSuggestion::isLocalSeller))
            .apply("ByPerson", MapElements.into(kvType).via((Event e) -> KV.of(e.person().id(), e)))
            .setCoder(coder);
    PCollection<KV<Long, Event>> auctions =
        events
            .apply("InCategory", Filter.by(Q3LocalItemSuggestion::isInCategory))
            .apply(
                "BySeller",
                MapElements.into(kvType).via((Event e) -> KV.of(e.auction().seller(), e)))
            .setCoder(coder);
    return PCollectionList.of(persons)
        .and(auctions)
        .apply(Flatten.pCollections())
        .apply("Join", ParDo.of(new JoinFn()));
  }

  static final class JoinFn extends DoFn<KV<Long, Event>, String> {
    @StateId("person")
    private final StateSpec<ValueState<Event>> personSpec = StateSpecs.value(EventCoder.of());

    @StateId("waiting")
    private final StateSpec<BagState<Event>> waitingSpec = StateSpecs.bag(EventCoder.of());

    @TimerId("expiry")
    private final TimerSpec expirySpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<Long, Event> element,
        @StateId("person") ValueState<Event> personState,
        @StateId("waiting") BagState<Event> waiting,
        @TimerId("expiry") Timer expiry,
        OutputReceiver<String> out) {
      Event event = element.getValue();
      if (event.person() != null) {
        Person p = event.person();
        personState.write(event);
        expiry.set(new Instant(p.timestamp() + VALIDITY_MILLIS));
        for (Event w : waiting.read()) {
          if (joins(p, w.auction())) {
            out.output(line(p, w.auction()));
          }
        }
        waiting.clear();
        return;
      }
      Event person = personState.read();
      if (person == null) {
        waiting.add(event); // the seller may still come
      } else if (joins(person.person(), event.auction())) {
        out.output(line(person.person(), event.auction()));
      }
    }

    @OnTimer("expiry")
    public void expire(@StateId("person") ValueState<Event> personState) {
      personState.clear();
    }
  }

  @Override
  public PlainQuery plain() {
    return new PlainQuery() {
      private final Map<Long, Person> persons = new HashMap<>();
      private final Map<Long, List<Auction>> waiting = new HashMap<>();

      @Override
      public void accept(Event e, java.util.function.Consumer<String> out) {
        if (isLocalSeller(e)) {
          Person p = e.person();
          persons.put(p.id(), p);
          List<Auction> early = waiting.remove(p.id());
          if (early != null) {
            for (Auction a : early) {
              if (joins(p, a)) {
                out.accept(line(p, a));
              }
            }
          }
        } else if (isInCategory(e)) {
          Auction a = e.auction();
          Person p = persons.get(a.seller());
          if (p == null) {
            waiting.computeIfAbsent(a.seller(), k -> new ArrayList<>()).add(a);
          } else if (joins(p, a)) {
            out.accept(line(p, a));
          }
        }
      }
    };
  }
}
