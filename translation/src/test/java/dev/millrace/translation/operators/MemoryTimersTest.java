package dev.millrace.translation.operators;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class MemoryTimersTest {
  private static final StateNamespace NS = StateNamespaces.window(GlobalWindow.Coder.INSTANCE, GlobalWindow.INSTANCE);

  private Instant watermark = new Instant(0);
  private final MemoryTimers timers =
      new MemoryTimers(
          new KeyTimers.Clocks() {
            @Override
            public Instant inputWatermark() {
              return watermark;
            }

            @Override
            public Instant processingTime() {
              return new Instant(7);
            }
          });

  private static TimerData timer(String id, long at, TimeDomain domain) {
    return TimerData.of(id, "", NS, new Instant(at), new Instant(at), domain);
  }

  @Test
  void firesEarliestFirstAndOnlyStrictlyBeforeTheClock() {
    timers.setTimer(timer("b", 20, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(10)), is(nullValue()));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(30)).getTimerId(), is("a"));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(30)).getTimerId(), is("b"));
    assertThat(timers.isEmpty(), is(true));
    assertThat(timers.hasTimers(TimeDomain.EVENT_TIME), is(false));
  }

  @Test
  void settingTheSameTimerAgainReplacesIt() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("a", 50, TimeDomain.EVENT_TIME));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(30)), is(nullValue()));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(60)).getTimestamp(), is(new Instant(50)));
    assertThat(timers.isEmpty(), is(true));
  }

  @Test
  void settingAnIdenticalTimerAgainKeepsOne() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(30)).getTimerId(), is("a"));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(30)), is(nullValue()));
    assertThat(timers.isEmpty(), is(true));
  }

  @Test
  void deletedTimersNeverFireAndDomainsAreSeparate() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    timers.setTimer(timer("p", 5, TimeDomain.PROCESSING_TIME));
    timers.deleteTimer(NS, "a", "", TimeDomain.EVENT_TIME);
    assertThat(timers.hasTimers(TimeDomain.EVENT_TIME), is(false));
    assertThat(timers.hasTimers(TimeDomain.PROCESSING_TIME), is(true));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(100)), is(nullValue()));
    assertThat(timers.removeNextBefore(TimeDomain.PROCESSING_TIME, new Instant(100)).getTimerId(), is("p"));
  }

  @Test
  void aTimerCannotMoveToAnotherDomain() {
    timers.setTimer(timer("a", 10, TimeDomain.EVENT_TIME));
    assertThrows(IllegalArgumentException.class, () -> timers.setTimer(timer("a", 10, TimeDomain.PROCESSING_TIME)));
    assertThrows(IllegalStateException.class, () -> timers.deleteTimer(NS, "a", "", TimeDomain.PROCESSING_TIME));
    assertThat(timers.removeNextBefore(TimeDomain.EVENT_TIME, new Instant(11)).getTimerId(), is("a"));
  }

  @Test
  void clocksAreTheOperators() {
    watermark = new Instant(42);
    assertThat(timers.currentInputWatermarkTime(), is(new Instant(42)));
    assertThat(timers.currentProcessingTime(), is(new Instant(7)));
  }
}
