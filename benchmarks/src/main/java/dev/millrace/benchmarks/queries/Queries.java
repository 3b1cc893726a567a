package dev.millrace.benchmarks.queries;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every benchmark query, by name, in the order the table lists them. */
public final class Queries {
  private static final Map<String, Query> ALL = new LinkedHashMap<>();

  static {
    for (Query q :
        List.of(
            new Q0Passthrough(),
            new Q1CurrencyConversion(),
            new Q2Selection(),
            new Q3LocalItemSuggestion(),
            new Q5HotItems(),
            new Q7HighestBid(),
            new Q8NewUsers(),
            new Q11UserSessions(),
            new WordCount(),
            new EventTimers())) {
      ALL.put(q.name(), q);
    }
  }

  private Queries() {}

  public static List<String> names() {
    return List.copyOf(ALL.keySet());
  }

  public static Query byName(String name) {
    Query q = ALL.get(name);
    if (q == null) {
      throw new IllegalArgumentException("Unknown query " + name + "; known: " + ALL.keySet());
    }
    return q;
  }
}
