package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RocksDbTimerStoreTest {
  private static final StateNamespace WINDOW =
      StateNamespaces.window(
          IntervalWindow.getCoder(), new IntervalWindow(new Instant(0), new Instant(1000)));

  private RocksDbStateBackend backend;
  private RocksDbTimerStore timers;

  @BeforeEach
  void open() {
    backend = RocksDbStateBackend.openTemporary();
    timers = new RocksDbTimerStore(backend, IntervalWindow.getCoder());
  }

  @AfterEach
  void close() {
    backend.close();
  }

  private static byte[] key(String k) {
    return k.getBytes(StandardCharsets.UTF_8);
  }

  private byte[] prefix(int keyGroup, String k) {
    return backend.keyPrefix(keyGroup, key(k));
  }

  private static TimerData timer(String id, long at, long output, TimeDomain domain) {
    return TimerData.of(id, "family", WINDOW, new Instant(at), new Instant(output), domain);
  }

  @Test
  void dueTimersComeEarliestFirstAcrossKeysAndOnlyBeforeTheBound() {
    timers.set(prefix(3, "b"), timer("t", 300, 300, TimeDomain.EVENT_TIME));
    timers.set(prefix(7, "a"), timer("t", 100, 50, TimeDomain.EVENT_TIME));
    timers.set(prefix(7, "a"), timer("u", -5, -5, TimeDomain.EVENT_TIME));
    timers.set(prefix(1, "c"), timer("t", 200, 200, TimeDomain.PROCESSING_TIME));

    RocksDbTimerStore.Due first = timers.pollDue(TimeDomain.EVENT_TIME, new Instant(250));
    assertThat(first.timer().getTimerId(), is("u"));
    assertThat(first.keyGroup(), is(7));
    assertThat(new String(first.key(), StandardCharsets.UTF_8), is("a"));
    RocksDbTimerStore.Due second = timers.pollDue(TimeDomain.EVENT_TIME, new Instant(250));
    assertThat(second.timer(), is(timer("t", 100, 50, TimeDomain.EVENT_TIME)));
    assertThat(second.timer().getNamespace(), is(WINDOW));
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(250)), is(nullValue()));
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(301)).timer().getTimestamp(),
        is(new Instant(300)));
    assertThat(timers.hasTimers(TimeDomain.EVENT_TIME), is(false));
    assertThat(timers.hasTimers(TimeDomain.PROCESSING_TIME), is(true));
  }

  @Test
  void settingATimerAgainReplacesItAndDeleteRemovesIt() {
    timers.set(prefix(0, "k"), timer("t", 100, 100, TimeDomain.EVENT_TIME));
    timers.set(prefix(0, "k"), timer("t", 500, 400, TimeDomain.EVENT_TIME));
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(200)), is(nullValue()));
    assertThat(timers.minimumHold(), is(new Instant(400)));
    timers.delete(prefix(0, "k"), WINDOW, "t", "family");
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)), is(nullValue()));
    assertThat(timers.minimumHold(), is(nullValue()));
  }

  @Test
  void minimumHoldIsTheEarliestOutputTimestampOfTimersOfEveryDomain() {
    timers.set(prefix(0, "a"), timer("t", 900, 700, TimeDomain.EVENT_TIME));
    timers.set(prefix(5, "b"), timer("t", 800, 600, TimeDomain.EVENT_TIME));
    timers.set(prefix(9, "c"), timer("t", 10, 650, TimeDomain.PROCESSING_TIME));
    assertThat(timers.minimumHold(), is(new Instant(600)));
    timers.pollDue(TimeDomain.EVENT_TIME, new Instant(850));
    assertThat(timers.minimumHold(), is(new Instant(650)));
    timers.pollDue(TimeDomain.PROCESSING_TIME, new Instant(11));
    assertThat(timers.minimumHold(), is(new Instant(700)));
    assertThat(timers.earliest(TimeDomain.PROCESSING_TIME), is(nullValue()));
    assertThat(timers.earliest(TimeDomain.EVENT_TIME), is(new Instant(900)));
  }

  @Test
  void aTimerSetBelowWhatAlreadyFiredIsStillFoundFirst() {
    for (int t = 100; t < 110; t++) {
      timers.set(prefix(1, "k" + t), timer("t", t, t, TimeDomain.EVENT_TIME));
    }
    for (int t = 100; t < 105; t++) {
      assertThat(
          timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)).timer().getTimestamp(),
          is(new Instant(t)));
    }
    // Seeks now start past the fired timers; one set earlier than all of them must still come
    // first.
    timers.set(prefix(2, "early"), timer("t", 7, 3, TimeDomain.EVENT_TIME));
    assertThat(timers.earliest(TimeDomain.EVENT_TIME), is(new Instant(7)));
    assertThat(timers.minimumHold(), is(new Instant(3)));
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)).timer().getTimestamp(),
        is(new Instant(7)));
    assertThat(timers.minimumHold(), is(new Instant(105)));
    // A poll that finds nothing below 50 leaves the index's floor at 50; a timer set below it is
    // still found, and the lower bound moves down with it.
    assertThat(timers.pollDue(TimeDomain.PROCESSING_TIME, new Instant(50)), is(nullValue()));
    assertThat(timers.earliestLowerBound(TimeDomain.PROCESSING_TIME), is(new Instant(50)));
    timers.set(prefix(3, "p"), timer("p", 10, 10, TimeDomain.PROCESSING_TIME));
    assertThat(timers.earliestLowerBound(TimeDomain.PROCESSING_TIME), is(new Instant(10)));
    assertThat(
        timers.pollDue(TimeDomain.PROCESSING_TIME, new Instant(50)).timer().getTimerId(), is("p"));
    // A discarded bundle brings deleted timers back: they are found again.
    backend.commit();
    timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000));
    backend.discard();
    assertThat(timers.earliest(TimeDomain.EVENT_TIME), is(new Instant(105)));
  }

  @Test
  void timersSurviveACommitAndStayOutsideEveryKeyGroupRange() {
    timers.set(prefix(4, "k"), timer("t", 100, 100, TimeDomain.EVENT_TIME));
    backend.commit();
    assertThat(
        backend
            .scan(backend.keyGroupRange(4).start(), backend.keyGroupRange(4).endExclusive())
            .size(),
        is(0));
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(101)).keyGroup(), is(4));
  }

  @Test
  void aTimerSetBelowTheLastPolledOneIsStillFoundAndADiscardBringsPolledTimersBack() {
    for (int i = 0; i < 100; i++) {
      timers.set(prefix(1, "k" + i), timer("t", 1000 + i, 1000 + i, TimeDomain.EVENT_TIME));
    }
    backend.commit();
    for (int i = 0; i < 50; i++) {
      assertThat(
          timers.pollDue(TimeDomain.EVENT_TIME, new Instant(5000)).timer().getTimestamp(),
          is(new Instant(1000 + i)));
    }
    // Set while firing, earlier than everything polled so far: it must come next.
    timers.set(prefix(2, "late"), timer("t", 10, 10, TimeDomain.EVENT_TIME));
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(5000)).timer().getTimestamp(),
        is(new Instant(10)));
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(5000)).timer().getTimestamp(),
        is(new Instant(1050)));
    backend.discard();
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(5000)).timer().getTimestamp(),
        is(new Instant(1000)));
  }

  @Test
  void aHugeKeyIsStoredOnceAndComesBackWithItsTimer() {
    byte[] huge = new byte[5 << 20];
    java.util.Arrays.fill(huge, (byte) 'h');
    huge[huge.length - 1] = 'x';
    byte[] prefix = backend.keyPrefix(2, huge);
    assertThat(prefix.length < 32, is(true));
    timers.set(prefix, timer("t", 100, 100, TimeDomain.EVENT_TIME));
    timers.set(prefix, timer("u", 200, 200, TimeDomain.EVENT_TIME));
    backend.commit();

    long stored =
        backend.scan(new byte[0], null).stream()
            .mapToLong(e -> e.key().length + e.value().length)
            .sum();
    assertThat("the key is stored once: " + stored, stored < huge.length + 1024, is(true));
    RocksDbTimerStore.Due due = timers.pollDue(TimeDomain.EVENT_TIME, new Instant(150));
    assertThat(java.util.Arrays.equals(due.key(), huge), is(true));
    assertThat(due.keyGroup(), is(2));
    assertThat(java.util.Arrays.equals(backend.keyPrefix(2, huge), prefix), is(true));
  }
}
