package dev.millrace.state.keyed;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.state.backend.StateBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Keyed state and timers written to a snapshot and read back into a fresh store, on the heap and in
 * RocksDB: every kind of state cell, holds, and timers in the order they fire.
 */
class KeyedStateSnapshotTest {
  private static final IntervalWindow WINDOW =
      new IntervalWindow(new Instant(0), new Instant(1000));
  private static final StateNamespace NS =
      StateNamespaces.window(IntervalWindow.getCoder(), WINDOW);

  private static final StateTag<ValueState<String>> VALUE =
      StateTags.value("value", StringUtf8Coder.of());
  private static final StateTag<BagState<Integer>> BAG = StateTags.bag("bag", VarIntCoder.of());
  private static final StateTag<SetState<String>> SET = StateTags.set("set", StringUtf8Coder.of());
  private static final StateTag<MapState<String, Long>> MAP =
      StateTags.map("map", StringUtf8Coder.of(), VarLongCoder.of());
  private static final StateTag<MultimapState<String, Integer>> MULTIMAP =
      StateTags.multimap("multimap", StringUtf8Coder.of(), VarIntCoder.of());
  private static final StateTag<OrderedListState<String>> ORDERED =
      StateTags.orderedList("ordered", StringUtf8Coder.of());
  private static final StateTag<CombiningState<Integer, int[], Integer>> SUM =
      StateTags.combiningValue("sum", sumAccumulatorCoder(), Sum.ofIntegers());
  private static final StateTag<WatermarkHoldState> HOLD =
      StateTags.watermarkStateInternal("hold", TimestampCombiner.EARLIEST);
  private static final StateTag<BagState<Integer>> EMPTIED =
      StateTags.bag("emptied", VarIntCoder.of());

  @TempDir Path directory;

  private static Coder<int[]> sumAccumulatorCoder() {
    return Sum.ofIntegers().getAccumulatorCoder(CoderRegistry.createDefault(), VarIntCoder.of());
  }

  private static KeyedState<String> newState(StateBackend kind) {
    return new KeyedState<>(
        StringUtf8Coder.of(), kind.keyedStore(IntervalWindow.getCoder()), () -> 0L);
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void everyKindOfCellComesBack(StateBackend kind) throws Exception {
    KeyedState<String> before = newState(kind);
    KeyedState.Entry<String> a = before.entry("a");
    a.state.state(NS, VALUE).write("v");
    a.state.state(NS, BAG).add(1);
    a.state.state(NS, BAG).add(1);
    a.state.state(NS, BAG).add(2);
    a.state.state(NS, SET).add("x");
    a.state.state(NS, SET).add("y");
    a.state.state(NS, MAP).put("k", 7L);
    a.state.state(NS, MULTIMAP).put("m", 1);
    a.state.state(NS, MULTIMAP).put("m", 2);
    a.state.state(NS, ORDERED).add(TimestampedValue.of("late", new Instant(20)));
    a.state.state(NS, ORDERED).add(TimestampedValue.of("early", new Instant(10)));
    a.state.state(NS, SUM).add(3);
    a.state.state(NS, SUM).add(4);
    a.state.state(NS, HOLD).add(new Instant(300));
    a.state.state(NS, EMPTIED).add(9);
    a.state.state(NS, EMPTIED).clear();
    before.entry("b").state.state(StateNamespaces.global(), VALUE).write("global");
    before.commit();

    KeyedState<String> after = roundTrip(before, kind);
    try {
      KeyedState.Entry<String> restored = after.entry("a");
      // The hold counts before any cell is asked for: it keeps the output watermark back at once.
      assertThat(after.holdBack(1000), is(300L));
      assertThat(restored.state.state(NS, VALUE).read(), is("v"));
      assertThat(restored.state.state(NS, BAG).read(), contains(1, 1, 2));
      assertThat(restored.state.state(NS, SET).read(), containsInAnyOrder("x", "y"));
      assertThat(restored.state.state(NS, MAP).get("k").read(), is(7L));
      assertThat(restored.state.state(NS, MULTIMAP).get("m").read(), containsInAnyOrder(1, 2));
      List<String> ordered = new ArrayList<>();
      restored
          .state
          .state(NS, ORDERED)
          .read()
          .forEach(v -> ordered.add(v.getValue() + "@" + v.getTimestamp().getMillis()));
      assertThat(ordered, contains("early@10", "late@20"));
      assertThat(restored.state.state(NS, SUM).read(), is(7));
      assertThat(restored.state.state(NS, HOLD).read(), is(new Instant(300)));
      assertThat(restored.state.state(NS, EMPTIED).read().iterator().hasNext(), is(false));
      assertThat(after.holdBack(1000), is(300L));
      restored.state.state(NS, HOLD).clear();
      assertThat("a restored hold, once cleared, holds nothing", after.holdBack(1000), is(1000L));
      assertThat(
          after.entry("b").state.state(StateNamespaces.global(), VALUE).read(), is("global"));
      assertThat(after.entry("c").state.state(NS, VALUE).read(), is(nullValue()));
    } finally {
      after.close();
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void timersComeBackInTheOrderTheyFire(StateBackend kind) throws Exception {
    KeyedState<String> before = newState(kind);
    before.entry("b").timers.setTimer(timer("t1", 50, TimeDomain.EVENT_TIME));
    before.entry("a").timers.setTimer(timer("t2", 50, TimeDomain.EVENT_TIME));
    before.entry("a").timers.setTimer(timer("t3", 40, TimeDomain.EVENT_TIME));
    before.entry("c").timers.setTimer(timer("p", 70, TimeDomain.PROCESSING_TIME));
    before.entry("c").timers.setTimer(timer("gone", 30, TimeDomain.EVENT_TIME));
    before.entry("c").timers.deleteTimer(NS, "gone", "", TimeDomain.EVENT_TIME);
    before.advanceInputWatermark(new Instant(20));
    before.commit();

    KeyedState<String> after = roundTrip(before, kind);
    try {
      assertThat("the input watermark timers saw", after.inputWatermark(), is(new Instant(20)));
      assertThat("the earliest timer's output time holds", after.holdBack(1000), is(40L));
      after.advanceInputWatermark(new Instant(100));
      List<String> fired = new ArrayList<>();
      for (KeyedState.Due<String> due = after.pollEventTimer();
          due != null;
          due = after.pollEventTimer()) {
        fired.add(due.entry().key + ":" + due.timer().getTimerId());
      }
      if (kind == StateBackend.MEMORY) {
        assertThat(fired, contains("a:t3", "b:t1", "a:t2"));
      } else {
        // RocksDB orders timers of equal time by key.
        assertThat(fired, contains("a:t3", "a:t2", "b:t1"));
      }
      after.advanceProcessingTime(new Instant(71));
      KeyedState.Due<String> processing = after.pollProcessingTimer();
      assertThat(processing.entry().key + ":" + processing.timer().getTimerId(), is("c:p"));
      assertThat(after.pollProcessingTimer(), is(nullValue()));
    } finally {
      after.close();
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void aRestoredKeyCanBeSnapshottedAgainBeforeItsCellsAreRead(StateBackend kind) throws Exception {
    KeyedState<String> first = newState(kind);
    first.entry("a").state.state(NS, MAP).put("k", 1L);
    first.entry("a").state.state(NS, HOLD).add(new Instant(5));
    first.commit();
    KeyedState<String> second = roundTrip(first, kind);
    KeyedState<String> third = roundTrip(second, kind);
    try {
      assertThat(third.holdBack(1000), is(5L));
      assertThat(
          third.entry("a").state.state(NS, MAP).entries().read().iterator().next(),
          is(Map.entry("k", 1L)));
    } finally {
      third.close();
    }
  }

  @ParameterizedTest
  @EnumSource(StateBackend.class)
  void aCheckpointOfOneBackendIsRefusedByTheOtherByName(StateBackend kind) throws Exception {
    KeyedState<String> before = newState(kind);
    before.entry("a").state.state(NS, VALUE).write("v");
    before.commit();
    InMemorySnapshot writer = snapshotAndClose(before);
    StateBackend other = kind == StateBackend.MEMORY ? StateBackend.ROCKSDB : StateBackend.MEMORY;
    KeyedState<String> after = newState(other);
    try {
      IllegalStateException refused =
          assertThrows(IllegalStateException.class, () -> after.restore(writer.reader(), "keyed"));
      assertThat(refused.getMessage(), containsString("--stateBackend"));
    } finally {
      after.close();
    }
  }

  private static TimerData timer(String id, long at, TimeDomain domain) {
    return TimerData.of(id, NS, new Instant(at), new Instant(at), domain);
  }

  /**
   * Snapshots {@code before} into a fresh directory, closes it, and restores a new state from it.
   */
  private KeyedState<String> roundTrip(KeyedState<String> before, StateBackend kind)
      throws Exception {
    InMemorySnapshot writer = snapshotAndClose(before);
    KeyedState<String> after = newState(kind);
    after.restore(writer.reader(), "keyed");
    return after;
  }

  /** Snapshots {@code before} into a fresh directory and closes it. */
  private InMemorySnapshot snapshotAndClose(KeyedState<String> before) throws Exception {
    Path checkpoint = Files.createDirectories(directory.resolve("chk-" + System.nanoTime()));
    InMemorySnapshot writer = new InMemorySnapshot(1, checkpoint);
    before.snapshot(writer, "keyed");
    before.close();
    return writer;
  }
}
