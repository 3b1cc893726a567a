package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/** Q0: every event passes through one transform; measures the runner's per-element cost. */
public final class Q0Passthrough implements Query {
  @Override
  public String name() {
    return "Q0";
  }

  static String line(Event e) {
    return e.toString();
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    return events.apply(
        "Passthrough", MapElements.into(TypeDescriptors.strings()).via(Q0Passthrough::line));
  }

  @Override
  public PlainQuery plain() {
    return (e, out) -> out.accept(line(e));
  }
}
