package dev.millrace.state.keyed;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import dev.millrace.state.backend.StateBackend;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class KeyedStateTest {
  private static final StateNamespace NS =
      StateNamespaces.window(GlobalWindow.Coder.INSTANCE, GlobalWindow.INSTANCE);

  private final KeyedState<String> keys =
      new KeyedState<>(
          StringUtf8Coder.of(),
          StateBackend.MEMORY.keyedStore(GlobalWindow.Coder.INSTANCE),
          () -> 0L);

  private ValueState<Long> count(KeyedState.Entry<String> entry) {
    return entry.state.state(NS, StateTags.value("count", VarLongCoder.of()));
  }

  @Test
  void aHeapEntryGoesOnceItsKeyHasNeitherStateNorTimers() throws Exception {
    KeyedState.Entry<String> a = keys.entry("a");
    count(a).write(1L);
    a.timers.setTimer(
        TimerData.of("t", NS, new Instant(10), new Instant(10), TimeDomain.EVENT_TIME));
    keys.track(a, false);
    assertThat(keys.entryCount(), is(1));
    count(a).clear();
    keys.track(a, false);
    assertThat("a timer keeps it", keys.entryCount(), is(1));
    keys.advanceInputWatermark(new Instant(11));
    KeyedState.Due<String> due = keys.pollEventTimer();
    assertThat(due.entry(), is(a));
    keys.track(due.entry(), false);
    assertThat(keys.entryCount(), is(0));
    // A key that comes back starts empty.
    assertThat(count(keys.entry("a")).read() == null, is(true));
  }

  @Test
  void holdsOfStateAndTimersKeepTheOutputWatermarkBack() throws Exception {
    KeyedState.Entry<String> a = keys.entry("a");
    a.state
        .state(NS, StateTags.watermarkStateInternal("hold", TimestampCombiner.EARLIEST))
        .add(new Instant(40));
    KeyedState.Entry<String> b = keys.entry("b");
    b.timers.setTimer(
        TimerData.of("t", NS, new Instant(90), new Instant(25), TimeDomain.PROCESSING_TIME));
    assertThat(keys.holdBack(100), is(25L));
    assertThat(keys.holdBack(20), is(20L));
    keys.advanceProcessingTime(new Instant(91));
    keys.pollProcessingTimer();
    assertThat(keys.holdBack(100), is(40L));
    assertThat(keys.nextProcessingTime(), is(dev.millrace.plan.Operator.NO_PROCESSING_TIME));
  }

  /**
   * A synchronized-processing-time timer that fires in the bundle that set it must see that time
   * past it, or AfterSynchronizedProcessingTime consumes the timer without firing its pane.
   */
  @Test
  void synchronizedProcessingTimeCatchesUpWhenTimersFireInAnOpenBundle() throws Exception {
    AtomicLong clock = new AtomicLong(100);
    KeyedState<String> timed =
        new KeyedState<>(
            StringUtf8Coder.of(),
            StateBackend.ROCKSDB.keyedStore(GlobalWindow.Coder.INSTANCE),
            clock::get);
    try {
      timed.startBundle();
      KeyedState.Entry<String> a = timed.entry("a");
      assertThat(a.timers.currentSynchronizedProcessingTime(), is(new Instant(100)));
      clock.set(105);
      timed.advanceProcessingTime(new Instant(105));
      assertThat(a.timers.currentSynchronizedProcessingTime(), is(new Instant(105)));
    } finally {
      timed.close();
    }
  }

  /**
   * A RocksDB key remembers the timer it set last, so that setting it again costs nothing; once the
   * timer has fired, setting it again must set it.
   */
  @Test
  void aTimerSetAgainAfterItFiredFiresAgain() throws Exception {
    KeyedState<String> timed =
        new KeyedState<>(
            StringUtf8Coder.of(),
            StateBackend.ROCKSDB.keyedStore(GlobalWindow.Coder.INSTANCE),
            () -> 0L);
    try {
      KeyedState.Entry<String> a = timed.entry("a");
      TimerData timer =
          TimerData.of("t", NS, new Instant(10), new Instant(10), TimeDomain.EVENT_TIME);
      a.timers.setTimer(timer);
      a.timers.setTimer(timer);
      timed.advanceInputWatermark(new Instant(11));
      assertThat(timed.pollEventTimer().timer(), is(timer));
      assertThat(timed.pollEventTimer() == null, is(true));
      a.timers.setTimer(timer);
      assertThat(timed.pollEventTimer().timer(), is(timer));
      a.timers.deleteTimer(timer);
      a.timers.setTimer(timer);
      a.timers.deleteTimer(timer);
      a.timers.setTimer(timer);
      assertThat(timed.pollEventTimer().timer(), is(timer));
    } finally {
      timed.close();
    }
  }
}
