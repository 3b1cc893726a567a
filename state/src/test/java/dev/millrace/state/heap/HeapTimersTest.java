package dev.millrace.state.heap;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.state.keyed.KeyTimers;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class HeapTimersTest {
  private static final StateNamespace NS =
      StateNamespaces.window(GlobalWindow.Coder.INSTANCE, GlobalWindow.INSTANCE);

  private Instant watermark = new Instant(0);
  private final KeyTimers.Clocks clocks =
      new KeyTimers.Clocks() {
        @Override
        public Instant inputWatermark() {
          return watermark;
        }

        @Override
        public Instant processingTime() {
          return new Instant(7);
        }

        @Override
        public Instant synchronizedProcessingTime() {
          return new Instant(5);
        }

        @Override
        public Instant outputWatermark() {
          return new Instant(3);
        }
      };
  private final HoldIndex holds = new HoldIndex();
  private final HeapTimerStore store = new HeapTimerStore(holds);
  private final HeapTimers timers = keyTimers("a");
  private final HeapTimers other = keyTimers("b");

  private HeapTimers keyTimers(String owner) {
    HeapTimers keyTimers = new HeapTimers(store, clocks);
    keyTimers.owner = owner;
    return keyTimers;
  }

  private static TimerData timer(String id, long at, TimeDomain domain) {
    return TimerData.of(id, "", NS, new Instant(at), new Instant(at), domain);
  }

  private String pollId(TimeDomain domain, long before) {
    HeapTimerStore.Scheduled due = store.pollBefore(domain, new Instant(before));
    return due == null ? null : due.owner.owner + ":" + due.timer.getTimerId();
  }

  @Test
  void firesEarliestFirstAcrossKeysAndOnlyStrictlyBeforeTheClock() {
    timers.setTimer(timer("b", 20, TimeDomain.EVENT_TIME));
    other.setTimer(timer("x", 15, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    assertThat(pollId(TimeDomain.EVENT_TIME, 10), is(nullValue()));
    assertThat(pollId(TimeDomain.EVENT_TIME, 30), is("a:a"));
    assertThat(pollId(TimeDomain.EVENT_TIME, 30), is("b:x"));
    assertThat(pollId(TimeDomain.EVENT_TIME, 30), is("a:b"));
    assertThat(timers.isEmpty(), is(true));
    assertThat(other.isEmpty(), is(true));
    assertThat(store.hasTimers(TimeDomain.EVENT_TIME), is(false));
  }

  @Test
  void settingTheSameTimerAgainReplacesIt() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("a", 50, TimeDomain.EVENT_TIME));
    assertThat(pollId(TimeDomain.EVENT_TIME, 30), is(nullValue()));
    assertThat(store.earliest(TimeDomain.EVENT_TIME), is(new Instant(50)));
    assertThat(pollId(TimeDomain.EVENT_TIME, 60), is("a:a"));
    assertThat(timers.isEmpty(), is(true));
  }

  @Test
  void settingAnIdenticalTimerAgainKeepsOne() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    assertThat(pollId(TimeDomain.EVENT_TIME, 30), is("a:a"));
    assertThat(pollId(TimeDomain.EVENT_TIME, 30), is(nullValue()));
    assertThat(timers.isEmpty(), is(true));
  }

  @Test
  void deletedTimersNeverFireAndDomainsAreSeparate() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("p", 5, TimeDomain.PROCESSING_TIME));
    timers.deleteTimer(NS, "a", "", TimeDomain.EVENT_TIME);
    assertThat(store.hasTimers(TimeDomain.EVENT_TIME), is(false));
    assertThat(store.hasTimers(TimeDomain.PROCESSING_TIME), is(true));
    assertThat(pollId(TimeDomain.EVENT_TIME, 100), is(nullValue()));
    assertThat(pollId(TimeDomain.PROCESSING_TIME, 100), is("a:p"));
  }

  @Test
  void pendingTimersOfEveryDomainHoldTheirOutputTimestamps() {
    timers.setTimer(
        TimerData.of("e", "", NS, new Instant(100), new Instant(40), TimeDomain.EVENT_TIME));
    other.setTimer(
        TimerData.of("p", "", NS, new Instant(5), new Instant(30), TimeDomain.PROCESSING_TIME));
    assertThat(holds.minimum(), is(new Instant(30)));
    store.pollBefore(TimeDomain.PROCESSING_TIME, new Instant(6));
    assertThat(holds.minimum(), is(new Instant(40)));
    timers.deleteTimer(NS, "e", "", TimeDomain.EVENT_TIME);
    assertThat(holds.minimum(), is(nullValue()));
  }

  @Test
  void aTimerCannotMoveToAnotherDomain() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    assertThrows(
        IllegalArgumentException.class,
        () -> timers.setTimer(timer("a", 10, TimeDomain.PROCESSING_TIME)));
    assertThrows(
        IllegalStateException.class,
        () -> timers.deleteTimer(NS, "a", "", TimeDomain.PROCESSING_TIME));
    assertThat(pollId(TimeDomain.EVENT_TIME, 11), is("a:a"));
  }

  @Test
  void clocksAreTheOperators() {
    watermark = new Instant(42);
    assertThat(timers.currentInputWatermarkTime(), is(new Instant(42)));
    assertThat(timers.currentProcessingTime(), is(new Instant(7)));
    assertThat(timers.currentOutputWatermarkTime(), is(new Instant(3)));
    assertThat(timers.currentSynchronizedProcessingTime(), is(new Instant(5)));
  }
}
