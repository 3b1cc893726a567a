package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import java.util.function.Consumer;
import org.apache.beam.sdk.values.PCollection;

/**
 * One benchmark query, written twice: once against the Beam Java SDK (run by every runner) and once
 * in plain Java (the physical limit). Both produce the same lines, so their checksums agree.
 * Serializable because the DoFns a query defines inline capture it.
 */
public interface Query extends java.io.Serializable {
  String name();

  /** The query on Beam: timestamped events in, one line per result out. */
  PCollection<String> expand(PCollection<Event> events);

  /** A fresh plain-Java implementation that sees the events in timestamp order. */
  PlainQuery plain();

  /** The plain-Java side: {@link #accept} every event, then {@link #finish}. */
  interface PlainQuery {
    void accept(Event event, Consumer<String> out);

    default void finish(Consumer<String> out) {}
  }
}
