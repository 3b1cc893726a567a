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
    // Stored, not held: the seeks below are RocksDB's.
    backend.commit();
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

  @Test
  void aTimerSetAndFiredBetweenCommitsNeverReachesTheDatabase() {
    timers.set(prefix(1, "a"), timer("t", 100, 100, TimeDomain.EVENT_TIME));
    timers.set(prefix(1, "a"), timer("t", 200, 150, TimeDomain.EVENT_TIME));
    timers.set(prefix(2, "b"), timer("t", 300, 300, TimeDomain.EVENT_TIME));
    timers.set(prefix(3, "c"), timer("t", 50, 50, TimeDomain.PROCESSING_TIME));
    timers.delete(prefix(3, "c"), WINDOW, "t", "family");
    assertThat(timers.minimumHold(), is(new Instant(150)));
    RocksDbTimerStore.Due due = timers.pollDue(TimeDomain.EVENT_TIME, new Instant(250));
    assertThat(due.timer(), is(timer("t", 200, 150, TimeDomain.EVENT_TIME)));
    assertThat(due.keyGroup(), is(1));
    assertThat(new String(due.key(), StandardCharsets.UTF_8), is("a"));
    backend.endBundle();
    assertThat(backend.scan(new byte[0], null).size(), is(0));
    // Only the timer still set is written at the commit: its three index entries.
    backend.commit();
    assertThat(backend.scan(new byte[0], null).size(), is(3));
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(301)).keyGroup(), is(2));
  }

  @Test
  void aDiscardForgetsTimersHeldSinceTheLastCommit() {
    timers.set(prefix(1, "a"), timer("t", 100, 100, TimeDomain.EVENT_TIME));
    backend.commit();
    timers.set(prefix(2, "b"), timer("t", 50, 50, TimeDomain.EVENT_TIME));
    long version = timers.version();
    backend.discard();
    assertThat(timers.version() == version, is(false));
    assertThat(timers.earliest(TimeDomain.EVENT_TIME), is(new Instant(100)));
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)).keyGroup(), is(1));
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)), is(nullValue()));
  }

  /**
   * Held and stored timers, commits and write-outs over the bound at random, against a store that
   * holds nothing: every query answers the same, and timers fire in the same order.
   */
  @Test
  void heldAndStoredTimersAnswerAsIfAllWereStored() {
    try (RocksDbStateBackend reference = RocksDbStateBackend.openTemporary()) {
      RocksDbTimerStore stored =
          new RocksDbTimerStore(reference, IntervalWindow.getCoder(), 0, new MemoryBudget(1));
      RocksDbTimerStore mixed =
          new RocksDbTimerStore(backend, IntervalWindow.getCoder(), 8, new MemoryBudget(1));
      java.util.Random random = new java.util.Random(24);
      TimeDomain[] domains = {TimeDomain.EVENT_TIME, TimeDomain.PROCESSING_TIME};
      for (int step = 0; step < 5000; step++) {
        int keyGroup = random.nextInt(4);
        String key = "k" + random.nextInt(12);
        String id = "t" + random.nextInt(3);
        TimeDomain domain = domains[random.nextInt(2)];
        Instant bound = new Instant(random.nextInt(12) * 100);
        switch (random.nextInt(6)) {
          case 0, 1 -> {
            long at = random.nextInt(10) * 100; // equal times, ordered by identity
            TimerData timer = timer(id, at, at - random.nextInt(50), domain);
            stored.set(reference.keyPrefix(keyGroup, key(key)), timer);
            mixed.set(backend.keyPrefix(keyGroup, key(key)), timer);
          }
          case 2 -> {
            stored.delete(reference.keyPrefix(keyGroup, key(key)), WINDOW, id, "family");
            mixed.delete(backend.keyPrefix(keyGroup, key(key)), WINDOW, id, "family");
          }
          case 3 -> {
            RocksDbTimerStore.Due expected = stored.pollDue(domain, bound);
            RocksDbTimerStore.Due actual = mixed.pollDue(domain, bound);
            assertThat("step " + step, actual == null, is(expected == null));
            if (expected != null) {
              assertThat("step " + step, actual.timer(), is(expected.timer()));
              assertThat(actual.keyGroup(), is(expected.keyGroup()));
              assertThat(java.util.Arrays.equals(actual.key(), expected.key()), is(true));
            }
          }
          case 4 -> {
            byte[] owner = backend.keyPrefix(keyGroup, key(key));
            assertThat(
                "step " + step,
                mixed.nextDueHasKey(domain, bound, owner),
                is(stored.nextDueHasKey(domain, bound, reference.keyPrefix(keyGroup, key(key)))));
            assertThat(mixed.hasDue(domain, bound), is(stored.hasDue(domain, bound)));
          }
          default -> {
            if (random.nextInt(4) == 0) {
              backend.commit();
            } else {
              backend.endBundle();
            }
            reference.endBundle();
          }
        }
        assertThat("step " + step, mixed.minimumHold(), is(stored.minimumHold()));
        assertThat(mixed.earliest(domain), is(stored.earliest(domain)));
        Instant lowerBound = mixed.earliestLowerBound(domain);
        Instant earliest = stored.earliest(domain);
        assertThat(lowerBound == null, is(earliest == null));
        assertThat(earliest == null || !lowerBound.isAfter(earliest), is(true));
        Instant holdBound = mixed.minimumHoldLowerBound();
        assertThat(
            stored.minimumHold() == null || !holdBound.isAfter(stored.minimumHold()), is(true));
      }
    }
  }

  @Test
  void aStoreHoldsPastItsOwnBoundWhileTheBudgetLendsAndWritesTheLastOutWhenRefused() {
    MemoryBudget budget = new MemoryBudget(8L << 20);
    RocksDbTimerStore lending =
        new RocksDbTimerStore(backend, IntervalWindow.getCoder(), 10, budget);
    for (int i = 0; i < 1000; i++) {
      lending.set(prefix(1, "k" + i), timer("t", i, i, TimeDomain.EVENT_TIME));
    }
    backend.endBundle();
    assertThat("all held", backend.scan(new byte[0], null).size(), is(0));
    assertThat("room borrowed", budget.reservedBytes() > 0, is(true));
    backend.commit();
    assertThat("given back once written", budget.reservedBytes(), is(0L));

    try (RocksDbStateBackend other = RocksDbStateBackend.openTemporary()) {
      RocksDbTimerStore refused =
          new RocksDbTimerStore(other, IntervalWindow.getCoder(), 10, new MemoryBudget(1));
      for (int i = 0; i < 1000; i++) {
        refused.set(other.keyPrefix(1, key("k" + i)), timer("t", i, i, TimeDomain.EVENT_TIME));
      }
      other.endBundle();
      assertThat(
          "all but the few due first written",
          other.scan(new byte[0], null).size() >= 3 * 990,
          is(true));
      for (int i = 0; i < 1000; i++) {
        assertThat(
            refused.pollDue(TimeDomain.EVENT_TIME, new Instant(5000)).timer().getTimestamp(),
            is(new Instant(i)));
      }
    }
  }
}
