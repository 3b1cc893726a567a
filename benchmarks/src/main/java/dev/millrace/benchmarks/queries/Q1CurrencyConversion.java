package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Bid;
import dev.millrace.benchmarks.nexmark.Event;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/** Q1: bid prices from dollars to euros. */
public final class Q1CurrencyConversion implements Query {
  @Override
  public String name() {
    return "Q1";
  }

  static String line(Bid b) {
    return b.auction() + "," + b.bidder() + "," + (b.price() * 89 / 100) + "," + b.timestamp();
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    return Events.bids(events)
        .apply(
            "ToEuro", MapElements.into(TypeDescriptors.strings()).via((Event e) -> line(e.bid())));
  }

  @Override
  public PlainQuery plain() {
    return (e, out) -> {
      if (e.bid() != null) {
        out.accept(line(e.bid()));
      }
    };
  }
}
