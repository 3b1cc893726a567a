package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import dev.millrace.benchmarks.nexmark.EventCoder;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.values.PCollection;

/** Selections of the event stream shared by several queries. */
final class Events {
  private Events() {}

  static PCollection<Event> bids(PCollection<Event> events) {
    return events.apply("Bids", Filter.by((Event e) -> e.bid() != null)).setCoder(EventCoder.of());
  }

  static PCollection<Event> auctions(PCollection<Event> events) {
    return events
        .apply("Auctions", Filter.by((Event e) -> e.auction() != null))
        .setCoder(EventCoder.of());
  }

  static PCollection<Event> persons(PCollection<Event> events) {
    return events
        .apply("Persons", Filter.by((Event e) -> e.person() != null))
        .setCoder(EventCoder.of());
  }
}
