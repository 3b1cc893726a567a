package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/** WC: word count over the auctions' descriptions. */
public final class WordCount implements Query {
  @Override
  public String name() {
    return "WC";
  }

  static String[] words(Event e) {
    return e.auction().description().split(" ");
  }

  static String line(String word, long count) {
    return word + "," + count;
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    return Events.auctions(events)
        .apply(
            "Words",
            FlatMapElements.into(TypeDescriptors.strings())
                .via((Event e) -> Arrays.asList(words(e))))
        .apply(Count.perElement())
        .apply(
            "Format",
            MapElements.into(TypeDescriptors.strings())
                .via((KV<String, Long> kv) -> line(kv.getKey(), kv.getValue())));
  }

  @Override
  public PlainQuery plain() {
    return new PlainQuery() {
      private final Map<String, Long> counts = new HashMap<>();

      @Override
      public void accept(Event e, Consumer<String> out) {
        if (e.auction() != null) {
          for (String w : words(e)) {
            counts.merge(w, 1L, Long::sum);
          }
        }
      }

      @Override
      public void finish(Consumer<String> out) {
        counts.forEach((w, c) -> out.accept(line(w, c)));
      }
    };
  }
}
