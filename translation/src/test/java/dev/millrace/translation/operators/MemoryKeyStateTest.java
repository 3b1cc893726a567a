package dev.millrace.translation.operators;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.sameInstance;

import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class MemoryKeyStateTest {
  private final MemoryKeyState<String> state = new MemoryKeyState<>("k");

  private static StateNamespace window(long start) {
    // A new namespace object per call, as a DoFn runner makes one per state access.
    return StateNamespaces.window(IntervalWindow.getCoder(), new IntervalWindow(new Instant(start), new Instant(start + 10)));
  }

  private ValueState<Long> value(String id, long windowStart) {
    return state.state(window(windowStart), StateTags.value(id, VarLongCoder.of()));
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
  void clearForgetsRememberedCells() {
    ValueState<Long> before = value("count", 0);
    before.write(1L);
    state.clear();
    assertThat(value("count", 0), not(sameInstance(before)));
    assertThat(value("count", 0).read(), is(nullValue()));
  }
}
