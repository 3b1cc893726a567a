package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyIterable;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint of a backend whose cells and timers hold changes back: it restores to the state as
 * it was when it was taken, while the changes stay held in the running backend, out of RocksDB.
 */
class HeldChangesCheckpointTest {
  private static final StateNamespace NS =
      StateNamespaces.window(
          IntervalWindow.getCoder(), new IntervalWindow(new Instant(0), new Instant(1000)));
  private static final StateTag<ValueState<Long>> VALUE = StateTags.value("v", VarLongCoder.of());
  private static final StateTag<MapState<Long, Long>> MAP =
      StateTags.map("m", VarLongCoder.of(), VarLongCoder.of());
  private static final StateTag<CombiningState<Long, long[], Long>> SUM =
      StateTags.combiningValueFromInputInternal("sum", VarLongCoder.of(), Sum.ofLongs());
  private static final StateTag<BagState<Long>> BAG = StateTags.bag("bag", VarLongCoder.of());

  @TempDir Path dir;
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

  private static RocksDbStateInternals<String> key(RocksDbStateBackend backend, String key) {
    return RocksDbStateInternals.forKey(backend, key, StringUtf8Coder.of(), 3);
  }

  private static TimerData timer(String id, long at) {
    return TimerData.of(id, "family", NS, new Instant(at), new Instant(at), TimeDomain.EVENT_TIME);
  }

  /** Stored state (committed), then held changes of every kind on top of it. */
  private void storedThenHeld() {
    RocksDbStateInternals<String> a = key(backend, "a");
    a.state(NS, VALUE).write(1L);
    a.state(NS, MAP).put(1L, 10L);
    a.state(NS, MAP).put(2L, 20L);
    a.state(NS, BAG).add(1L);
    a.state(NS, SUM).add(5L);
    key(backend, "gone").state(NS, VALUE).write(7L);
    timers.set(backend.keyPrefix(3, "a".getBytes()), timer("stored", 300));
    backend.commit();

    a.state(NS, VALUE).write(2L);
    a.state(NS, MAP).put(1L, 11L);
    a.state(NS, MAP).remove(2L);
    a.state(NS, MAP).put(3L, 30L);
    a.state(NS, BAG).add(2L);
    a.state(NS, BAG).add(3L);
    a.state(NS, SUM).add(6L);
    key(backend, "gone").state(NS, VALUE).clear();
    key(backend, "new").state(NS, BAG).add(9L);
    timers.set(backend.keyPrefix(3, "a".getBytes()), timer("held", 100));
    timers.set(backend.keyPrefix(4, "b".getBytes()), timer("held", 200));
  }

  private static void assertStateAsHeld(RocksDbStateBackend restored) {
    assertStateAsHeld(restored, new RocksDbTimerStore(restored, IntervalWindow.getCoder()));
  }

  private static void assertStateAsHeld(RocksDbStateBackend restored, RocksDbTimerStore timers) {
    RocksDbStateInternals<String> a = key(restored, "a");
    assertThat(a.state(NS, VALUE).read(), is(2L));
    assertThat(a.state(NS, MAP).get(1L).read(), is(11L));
    assertThat(a.state(NS, MAP).get(2L).read(), is(nullValue()));
    assertThat(a.state(NS, MAP).get(3L).read(), is(30L));
    assertThat(a.state(NS, BAG).read(), contains(1L, 2L, 3L));
    assertThat(a.state(NS, SUM).read(), is(11L));
    assertThat(key(restored, "gone").state(NS, VALUE).read(), is(nullValue()));
    assertThat(key(restored, "new").state(NS, BAG).read(), contains(9L));
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)).timer(), is(timer("held", 100)));
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)).timer(), is(timer("held", 200)));
    assertThat(
        timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)).timer(), is(timer("stored", 300)));
    assertThat(timers.pollDue(TimeDomain.EVENT_TIME, new Instant(1000)), is(nullValue()));
  }

  @Test
  void aCheckpointRestoresWhatTheCellsAndTimersHeldBack() {
    storedThenHeld();
    Path checkpoint = dir.resolve("chk");
    backend.checkpointTo(checkpoint);
    try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(checkpoint)) {
      assertStateAsHeld(restored);
    }
  }

  @Test
  void theHeldChangesStayHeldAndOutOfTheDatabase() {
    storedThenHeld();
    int pendingCells = backend.cells().pendingCount();
    int heldTimers = timers.heldCount();
    Path checkpoint = dir.resolve("chk");
    backend.checkpointTo(checkpoint);
    assertThat(backend.cells().pendingCount(), is(pendingCells));
    assertThat(timers.heldCount(), is(heldTimers));
    assertThat(heldTimers, is(2));
    // The database's own files hold the state as of the commit: the rest is beside them.
    Path databaseOnly = dir.resolve("database-only");
    copyWithout(checkpoint, databaseOnly, HeldChangesFile.NAME);
    try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(databaseOnly)) {
      assertThat(key(restored, "a").state(NS, VALUE).read(), is(1L));
      assertThat(key(restored, "a").state(NS, BAG).read(), contains(1L));
      assertThat(key(restored, "new").state(NS, BAG).read(), emptyIterable());
    }
    // And the running backend goes on from them as if nothing happened.
    assertStateAsHeld(backend, timers);
  }

  @Test
  void changesAfterTheCheckpointAreNotInIt() {
    storedThenHeld();
    Path checkpoint = dir.resolve("chk");
    backend.checkpointTo(checkpoint);
    key(backend, "a").state(NS, VALUE).write(3L);
    key(backend, "a").state(NS, BAG).add(4L);
    timers.set(backend.keyPrefix(5, "c".getBytes()), timer("later", 50));
    backend.commit();
    try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(checkpoint)) {
      assertStateAsHeld(restored);
    }
  }

  @Test
  void aCheckpointWithNothingHeldIsTheDatabaseAlone() {
    // The layout checkpoints had before held changes went beside them: it restores as it did.
    storedThenHeld();
    backend.commit();
    Path checkpoint = dir.resolve("chk");
    backend.checkpointTo(checkpoint);
    assertThat(Files.exists(checkpoint.resolve(HeldChangesFile.NAME)), is(false));
    try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(checkpoint)) {
      assertStateAsHeld(restored);
    }
  }

  @Test
  void aBackendNeverCommittedRestoresFromTheFileAlone() {
    key(backend, "a").state(NS, BAG).add(1L);
    Path checkpoint = dir.resolve("chk");
    backend.checkpointTo(checkpoint);
    try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(checkpoint)) {
      assertThat(key(restored, "a").state(NS, BAG).read(), contains(1L));
    }
  }

  @Test
  void aFileCutShortIsRefusedByName() throws IOException {
    storedThenHeld();
    Path checkpoint = dir.resolve("chk");
    backend.checkpointTo(checkpoint);
    Path file = checkpoint.resolve(HeldChangesFile.NAME);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - 3);
    }
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class, () -> RocksDbStateBackend.restoreTemporary(checkpoint));
    assertThat(refused.getMessage(), containsString(file.toString()));
    assertThat(refused.getMessage(), containsString("damaged"));
  }

  private static void copyWithout(Path from, Path to, String skipped) {
    try {
      Files.createDirectories(to);
      try (var files = Files.list(from)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          if (!file.getFileName().toString().equals(skipped)) {
            Files.copy(file, to.resolve(file.getFileName()));
          }
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
