package dev.millrace.state.heap;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.sameInstance;

import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class HeapKeyStateTest {
  private final HoldIndex holds = new HoldIndex();
  private final HeapKeyState<String> state = new HeapKeyState<>("k", holds, new HeapCellCoding());

  private static StateNamespace window(long start) {
    // A new namespace object per call, as a DoFn runner makes one per state access.
    return StateNamespaces.window(
        IntervalWindow.getCoder(), new IntervalWindow(new Instant(start), new Instant(start + 10)));
  }

  private ValueState<Long> value(String id, long windowStart) {
    return state.state(window(windowStart), StateTags.value(id, VarLongCoder.of()));
  }

  private WatermarkHoldState hold(long windowStart, TimestampCombiner combiner) {
    return state.state(window(windowStart), StateTags.watermarkStateInternal("hold", combiner));
  }

  @Test
  void theSameNamespaceAndIdGiveTheSameCell() {
    value("count", 0).write(5L);
    assertThat(value("count", 0), sameInstance(value("count", 0)));
    assertThat(value("count", 0).read(), is(5L));
    assertThat(value("other", 0).read(), is(nullValue()));
    assertThat(value("count", 10).read(), is(nullValue()));
  }

  @Test
  void cellsStayRightWhenMoreNamespacesThanItRemembers() {
    for (long w = 0; w < 50; w++) {
      value("count", w * 10).write(w);
    }
    for (long w = 49; w >= 0; w--) {
      assertThat(value("count", w * 10).read(), is(w));
    }
  }

  @Test
  void watermarkHoldsOfEveryWindowReachTheOperatorsHoldIndex() {
    hold(0, TimestampCombiner.EARLIEST).add(new Instant(7));
    hold(0, TimestampCombiner.EARLIEST).add(new Instant(3));
    hold(10, TimestampCombiner.EARLIEST).add(new Instant(12));
    assertThat(holds.minimum(), is(new Instant(3)));
    hold(0, TimestampCombiner.EARLIEST).clear();
    assertThat(holds.minimum(), is(new Instant(12)));
    hold(10, TimestampCombiner.EARLIEST).clear();
    assertThat(holds.minimum(), is(nullValue()));
    assertThat(holds.isEmpty(), is(true));
  }

  @Test
  void aKeyIsEmptyOnceEveryCellIsCleared() {
    assertThat(state.isEmpty(), is(true));
    value("count", 0).write(1L);
    hold(0, TimestampCombiner.LATEST).add(new Instant(5));
    assertThat(state.isEmpty(), is(false));
    value("count", 0).clear();
    assertThat(state.isEmpty(), is(false));
    hold(0, TimestampCombiner.LATEST).clear();
    assertThat(state.isEmpty(), is(true));
  }
}
