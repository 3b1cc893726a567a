package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/** Q2: the bids on a selection of auctions. */
public final class Q2Selection implements Query {
  static final int SKIP = 123;

  @Override
  public String name() {
    return "Q2";
  }

  static boolean selected(Event e) {
    return e.bid() != null && e.bid().auction() % SKIP == 0;
  }

  static String line(Event e) {
    return e.bid().auction() + "," + e.bid().price();
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    return events
        .apply("Select", Filter.by(Q2Selection::selected))
        .apply("Format", MapElements.into(TypeDescriptors.strings()).via(Q2Selection::line));
  }

  @Override
  public PlainQuery plain() {
    return (e, out) -> {
      if (selected(e)) {
        out.accept(line(e));
      }
    };
  }
}
