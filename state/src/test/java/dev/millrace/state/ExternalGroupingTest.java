package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ExternalGroupingTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /**
   * Adds {@code values} values of 100 bytes spread over {@code keys} keys in random order; returns
   * what was added.
   */
  private static Map<String, List<String>> fill(ExternalGrouping grouping, int keys, int values) {
    Map<String, List<String>> added = new TreeMap<>();
    Random random = new Random(42);
    for (int i = 0; i < values; i++) {
      String key = "key-" + random.nextInt(keys);
      String value = String.format("%-100d", i);
      grouping.add(bytes(key), bytes(value));
      added.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return added;
  }

  private static Map<String, List<String>> drainAll(ExternalGrouping grouping) throws Exception {
    Map<String, List<String>> out = new TreeMap<>();
    boolean done =
        grouping.drain(
            (key, values) -> {
              List<String> texts = new ArrayList<>();
              values.forEach(v -> texts.add(text(v)));
              if (out.put(text(key), texts) != null) {
                throw new AssertionError("key " + text(key) + " came twice");
              }
            },
            () -> false);
    assertThat(done, is(true));
    return out;
  }

  private static Map<String, List<String>> sorted(Map<String, List<String>> groups) {
    Map<String, List<String>> copy = new HashMap<>();
    groups.forEach((k, v) -> copy.put(k, v.stream().sorted().toList()));
    return new TreeMap<>(copy);
  }

  private static long groupingDirectories() throws Exception {
    try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return dirs.filter(
              p ->
                  p.getFileName()
                      .toString()
                      .startsWith("millrace-grouping-" + ProcessHandle.current().pid() + "-"))
          .count();
    }
  }

  @Test
  void withinTheBudgetNothingGoesToDisk() throws Exception {
    MemoryBudget budget = new MemoryBudget(64 << 20);
    try (ExternalGrouping grouping = new ExternalGrouping(budget)) {
      Map<String, List<String>> added = fill(grouping, 50, 10_000);
      assertThat(grouping.spills(), is(0L));
      assertThat(sorted(drainAll(grouping)), is(sorted(added)));
      assertThat(budget.reservedBytes(), is(0L));
    }
  }

  @Test
  void pastTheBudgetEveryKeyStillComesOutOnceWithAllItsValues() throws Exception {
    MemoryBudget budget = new MemoryBudget(2 << 20);
    long before = groupingDirectories();
    try (ExternalGrouping grouping = new ExternalGrouping(budget)) {
      // About 13 MB of values in a 2 MB budget.
      Map<String, List<String>> added = fill(grouping, 1_000, 100_000);
      assertThat(grouping.spills(), greaterThan(2L));
      assertThat(budget.reservedBytes() <= budget.limitBytes(), is(true));
      assertThat(sorted(drainAll(grouping)), is(sorted(added)));
    }
    assertThat("the runs are removed", groupingDirectories(), is(before));
    assertThat(budget.reservedBytes(), is(0L));
  }

  @Test
  void moreRunsThanAreMergedAtOnceAreMergedInRounds() throws Exception {
    MemoryBudget budget = new MemoryBudget(1);
    try (ExternalGrouping grouping = new ExternalGrouping(budget)) {
      // Nothing can be reserved: each run holds what the allowance does, about 1 MB.
      Map<String, List<String>> added =
          fill(grouping, 300, (ExternalGrouping.MAX_MERGE_WIDTH + 10) * 8_500);
      assertThat(grouping.spills(), greaterThan((long) ExternalGrouping.MAX_MERGE_WIDTH));
      assertThat(sorted(drainAll(grouping)), is(sorted(added)));
    }
  }

  @Test
  void drainingPausesBetweenKeysAndGoesOn() throws Exception {
    MemoryBudget budget = new MemoryBudget(2 << 20);
    try (ExternalGrouping grouping = new ExternalGrouping(budget)) {
      Map<String, List<String>> added = fill(grouping, 500, 50_000);
      Map<String, List<String>> out = new TreeMap<>();
      int calls = 0;
      boolean done = false;
      while (!done) {
        calls++;
        int[] inThisCall = {0};
        done =
            grouping.drain(
                (key, values) -> {
                  inThisCall[0]++;
                  List<String> texts = new ArrayList<>();
                  values.forEach(v -> texts.add(text(v)));
                  out.put(text(key), texts);
                },
                () -> inThisCall[0] >= 7);
      }
      assertThat(calls, greaterThan(50));
      assertThat(sorted(out), is(sorted(added)));
    }
  }

  @Test
  void valuesCannotBeAddedOnceDrainingBegan() throws Exception {
    try (ExternalGrouping grouping = new ExternalGrouping(new MemoryBudget(1 << 20))) {
      grouping.add(bytes("k"), bytes("v"));
      drainAll(grouping);
      assertThrows(IllegalStateException.class, () -> grouping.add(bytes("k"), bytes("late")));
    }
  }
}
