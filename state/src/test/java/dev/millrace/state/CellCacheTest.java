package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.emptyIterable;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Path;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-back cell cache in front of RocksDB: repeated updates reach the batch once, and the
 * batch, the database and every reader (scans, range deletes, a discard, a checkpoint) agree with
 * the cells at every moment they look.
 */
class CellCacheTest {
  private static final StateNamespace NS =
      StateNamespaces.window(GlobalWindow.Coder.INSTANCE, GlobalWindow.INSTANCE);
  private static final StateTag<ValueState<Long>> VALUE = StateTags.value("v", VarLongCoder.of());
  private static final StateTag<MapState<Long, Long>> MAP =
      StateTags.map("m", VarLongCoder.of(), VarLongCoder.of());
  private static final StateTag<CombiningState<Long, long[], Long>> SUM =
      StateTags.combiningValueFromInputInternal("sum", VarLongCoder.of(), Sum.ofLongs());

  private static final StateTag<BagState<Long>> BAG_OF_LONGS =
      StateTags.bag("held-bag", VarLongCoder.of());

  private RocksDbStateBackend backend;

  @BeforeEach
  void open() {
    // Nothing to borrow: each cache holds only its own share, so the tests below can fill it.
    backend = RocksDbStateBackend.openTemporary(new MemoryBudget(1));
  }

  @AfterEach
  void close() {
    backend.close();
  }

  private RocksDbStateInternals<String> key(String key) {
    return RocksDbStateInternals.forKey(backend, key, StringUtf8Coder.of(), 3);
  }

  @Test
  void repeatedUpdatesInABundleReachTheBatchOnce() {
    RocksDbStateInternals<String> a = key("a");
    for (long i = 0; i < 100; i++) {
      a.state(NS, VALUE).write(i);
      MapState<Long, Long> map = a.state(NS, MAP);
      Long seen = map.get(7L).read();
      map.put(7L, seen == null ? 1 : seen + 1);
      a.state(NS, SUM).add(i);
    }
    assertThat(backend.pendingWrites(), is(3));
    backend.commit();
    RocksDbStateInternals<String> fresh = key("a");
    assertThat(fresh.state(NS, VALUE).read(), is(99L));
    assertThat(fresh.state(NS, MAP).get(7L).read(), is(100L));
    assertThat(fresh.state(NS, SUM).read(), is(4950L));
  }

  @Test
  void changesWaitAcrossBundlesUntilACommit() {
    RocksDbStateInternals<String> a = key("a");
    byte[] stored = StateKeys.statePrefix(a.keyPrefix(), NS, VALUE.getId());
    for (long bundle = 1; bundle <= 10; bundle++) {
      a.state(NS, VALUE).write(bundle);
      backend.endBundle();
    }
    assertThat("held back", backend.getUncached(stored), is(nullValue()));
    assertThat(a.state(NS, VALUE).read(), is(10L));
    backend.commit();
    assertThat(Codec.decode(VarLongCoder.of(), backend.getUncached(stored)), is(10L));
  }

  @Test
  void whatIsSetUpAndClearedBetweenCommitsNeverReachesTheBatch() {
    RocksDbStateInternals<String> a = key("a");
    MapState<Long, Long> map = a.state(NS, MAP);
    assertThat(a.state(NS, VALUE).read(), is(nullValue()));
    for (long second = 0; second < 50; second++) {
      assertThat(map.get(second).read(), is(nullValue()));
      map.put(second, 1L);
      a.state(NS, VALUE).write(second);
      backend.endBundle();
      map.remove(second);
      a.state(NS, VALUE).clear();
    }
    assertThat(backend.pendingWrites(), is(0));
  }

  @Test
  void scansAndEmptinessSeeWritesNotYetStaged() {
    RocksDbStateInternals<String> a = key("a");
    MapState<Long, Long> map = a.state(NS, MAP);
    CombiningState<Long, long[], Long> sum = a.state(NS, SUM);
    assertThat(map.isEmpty().read(), is(true));
    assertThat(sum.isEmpty().read(), is(true));
    map.put(1L, 10L);
    map.put(2L, 20L);
    sum.add(5L);
    assertThat(map.isEmpty().read(), is(false));
    assertThat(sum.isEmpty().read(), is(false));
    assertThat(
        map.entries().read(),
        containsInAnyOrder(
            new SimpleImmutableEntry<>(1L, 10L), new SimpleImmutableEntry<>(2L, 20L)));
    map.remove(1L);
    assertThat(map.keys().read(), containsInAnyOrder(2L));
  }

  @Test
  void clearingAMapDropsItsPendingEntries() {
    MapState<Long, Long> map = key("a").state(NS, MAP);
    map.put(1L, 10L);
    backend.commit();
    map.put(2L, 20L);
    map.clear();
    assertThat(map.get(1L).read(), is(nullValue()));
    assertThat(map.get(2L).read(), is(nullValue()));
    backend.commit();
    assertThat(key("a").state(NS, MAP).entries().read(), is(emptyIterable()));
  }

  @Test
  void aRangeDeleteCoversPendingCells() {
    RocksDbStateInternals<String> a = key("a");
    a.state(NS, VALUE).write(1L);
    a.state(NS, MAP).put(1L, 1L);
    key("b").state(NS, VALUE).write(2L);
    // Everything of key "a", as dropping a key's state does.
    backend.deletePrefix(a.keyPrefix());
    assertThat(a.state(NS, VALUE).read(), is(nullValue()));
    assertThat(a.state(NS, MAP).get(1L).read(), is(nullValue()));
    backend.commit();
    assertThat(key("a").state(NS, VALUE).read(), is(nullValue()));
    assertThat(key("b").state(NS, VALUE).read(), is(2L));
  }

  @Test
  void aDiscardDropsPendingWritesAndCachedValues() {
    ValueState<Long> value = key("a").state(NS, VALUE);
    value.write(1L);
    backend.commit();
    value.write(2L);
    key("a").state(NS, MAP).put(1L, 1L);
    backend.discard();
    assertThat(value.read(), is(1L));
    assertThat(key("a").state(NS, MAP).get(1L).read(), is(nullValue()));
  }

  @Test
  void aCheckpointHoldsWhatWasCommittedAndWhatTheCellsHold(@TempDir Path dir) {
    key("a").state(NS, VALUE).write(1L);
    key("a").state(NS, MAP).put(5L, 6L);
    backend.commit();
    key("a").state(NS, VALUE).write(2L); // held by its cell: in the checkpoint too
    Path checkpoint = dir.resolve("chk");
    backend.checkpointTo(checkpoint);
    key("a").state(NS, VALUE).write(3L); // after the checkpoint: not in it
    try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(checkpoint)) {
      RocksDbStateInternals<String> a =
          RocksDbStateInternals.forKey(restored, "a", StringUtf8Coder.of(), 3);
      assertThat(a.state(NS, VALUE).read(), is(2L));
      assertThat(a.state(NS, MAP).get(5L).read(), is(6L));
    }
  }

  @Test
  void cellsDroppedOverTheBudgetKeepTheirValues() {
    // Handles bound before the cache drops their cells must find them again, not keep a copy.
    List<ValueState<Long>> values = new ArrayList<>();
    int keys = 2 * CellCache.MAX_ENTRIES;
    for (int i = 0; i < keys; i++) {
      ValueState<Long> value = key("k" + i).state(NS, VALUE);
      value.write((long) i);
      values.add(value);
    }
    long droppedBefore = backend.cells().dropped();
    for (int i = 0; i < keys; i++) {
      values.get(i).write(values.get(i).read() + 1);
    }
    assertThat("the cache dropped its cells", backend.cells().dropped() > droppedBefore, is(true));
    backend.commit();
    for (int i = 0; i < keys; i += 997) {
      assertThat(key("k" + i).state(NS, VALUE).read(), is(i + 1L));
      assertThat(values.get(i).read(), is(i + 1L));
    }
  }

  @Test
  void valuesHeldBackCountForWhatTheyTake() {
    // 40 values of 1 MB, written and never read or committed: over the 16 MB budget.
    StateTag<ValueState<String>> text = StateTags.value("text", StringUtf8Coder.of());
    String megabyte = "x".repeat(1 << 20);
    long droppedBefore = backend.cells().dropped();
    for (int i = 0; i < 40; i++) {
      key("k" + i).state(NS, text).write(megabyte + i);
    }
    assertThat("the cache dropped its cells", backend.cells().dropped() > droppedBefore, is(true));
    assertThat(key("k7").state(NS, text).read(), is(megabyte + 7));
  }

  @Test
  void aComputeIfAbsentWhoseFunctionFillsTheCacheKeepsItsValue() {
    StateTag<ValueState<String>> text = StateTags.value("text", StringUtf8Coder.of());
    String megabyte = "x".repeat(1 << 20);
    MapState<Long, Long> map = key("a").state(NS, MAP);
    long droppedBefore = backend.cells().dropped();
    map.computeIfAbsent(
        1L,
        k -> {
          for (int i = 0; i < 40; i++) {
            key("k" + i).state(NS, text).write(megabyte);
          }
          return 42L;
        });
    assertThat("the cache dropped its cells", backend.cells().dropped() > droppedBefore, is(true));
    assertThat(map.get(1L).read(), is(42L));
    backend.commit();
    assertThat(key("a").state(NS, MAP).get(1L).read(), is(42L));
  }

  @Test
  void readingOneCellsKeysLeavesTheOthersHeldBack() {
    RocksDbStateInternals<String> a = key("a");
    byte[] value = StateKeys.statePrefix(a.keyPrefix(), NS, VALUE.getId());
    a.state(NS, VALUE).write(1L);
    BagState<Long> bag = a.state(NS, StateTags.bag("bag", VarLongCoder.of()));
    bag.add(5L);
    assertThat(bag.isEmpty().read(), is(false));
    assertThat(bag.read(), contains(5L));
    assertThat("still held back", backend.getUncached(value), is(nullValue()));
    MapState<Long, Long> map = a.state(NS, MAP);
    map.put(1L, 2L);
    assertThat(map.keys().read(), contains(1L));
    assertThat("still held back", backend.getUncached(value), is(nullValue()));
    backend.firstKey(a.keyPrefix(), StateKeys.prefixEnd(a.keyPrefix()));
    assertThat("a range over the key", backend.getUncached(value), is(notNullValue()));
  }

  @Test
  void aCellInUseOutlivesOlderUnusedOnes() {
    RocksDbStateInternals<String> hotKey = key("hot");
    ValueState<Long> hot = hotKey.state(NS, VALUE);
    byte[] stored = StateKeys.statePrefix(hotKey.keyPrefix(), NS, VALUE.getId());
    hot.write(-1L); // the oldest cell
    long last = -1;
    for (int i = 0; i < 2 * CellCache.MAX_ENTRIES; i++) {
      key("k" + i).state(NS, VALUE).write((long) i);
      if (i % 1000 == 0) {
        hot.write((long) i);
        last = i;
      }
    }
    assertThat("cells were dropped", backend.cells().dropped() > 0, is(true));
    assertThat(
        "dropped cells are not kept for a flush",
        backend.cells().pendingCount() < CellCache.MAX_ENTRIES * 3 / 2,
        is(true));
    assertThat(
        "the hot cell's change is still held back", backend.getUncached(stored), is(nullValue()));
    assertThat(hot.read(), is(last));
    assertThat(
        "the first cold cell was dropped and written",
        backend.getUncached(StateKeys.statePrefix(key("k0").keyPrefix(), NS, VALUE.getId())),
        is(notNullValue()));
  }

  @Test
  void aBagFilledReadAndClearedBetweenCommitsNeverReachesTheDatabase() {
    BagState<Long> bag = key("a").state(NS, BAG_OF_LONGS);
    bag.add(1L);
    bag.add(2L);
    backend.endBundle();
    assertThat(bag.isEmpty().read(), is(false));
    assertThat(bag.read(), contains(1L, 2L));
    bag.clear();
    assertThat(bag.isEmpty().read(), is(true));
    assertThat(backend.pendingWrites(), is(0));
    backend.commit();
    assertThat(backend.scan(new byte[0], null).size(), is(0));
  }

  @Test
  void aBagKeepsItsOrderAcrossWriteOutsCommitsAndDrops() {
    List<Long> expected = new ArrayList<>();
    BagState<Long> bag = key("a").state(NS, BAG_OF_LONGS);
    // Past the bag's own bound: the first elements are written out while later ones are held.
    for (long i = 0; i < CachedBag.MAX_HELD + 10; i++) {
      bag.add(i);
      expected.add(i);
    }
    backend.commit();
    bag.add(-1L);
    expected.add(-1L);
    // So many other bags that the cache drops this one, writing what it holds.
    long droppedBefore = backend.cells().dropped();
    for (int k = 0; k < CellCache.MAX_ENTRIES; k++) {
      key("other" + k).state(NS, BAG_OF_LONGS).add((long) k);
    }
    assertThat(backend.cells().dropped() > droppedBefore, is(true));
    bag.add(-2L);
    expected.add(-2L);
    assertThat(bag.read(), contains(expected.toArray()));
    assertThat(
        key("other" + (CellCache.MAX_ENTRIES - 1)).state(NS, BAG_OF_LONGS).read(),
        contains((long) CellCache.MAX_ENTRIES - 1));
    bag.clear();
    assertThat(bag.read(), emptyIterable());
    bag.add(5L);
    backend.commit();
    assertThat(key("a").state(NS, BAG_OF_LONGS).read(), contains(5L));
  }

  @Test
  void aCheckpointHoldsTheHeldElementsOfABag(@TempDir Path checkpoint) {
    BagState<Long> bag = key("a").state(NS, BAG_OF_LONGS);
    bag.add(1L);
    backend.commit();
    bag.add(2L);
    backend.commit();
    backend.checkpointTo(checkpoint.resolve("chk"));
    try (RocksDbStateBackend restored =
        RocksDbStateBackend.restoreTemporary(checkpoint.resolve("chk"))) {
      BagState<Long> again =
          RocksDbStateInternals.forKey(restored, "a", StringUtf8Coder.of(), 3)
              .state(NS, BAG_OF_LONGS);
      assertThat(again.read(), contains(1L, 2L));
      again.add(3L);
      assertThat(again.read(), contains(1L, 2L, 3L));
    }
  }

  @Test
  void aCacheBorrowsFromTheSharedBudgetBeforeDroppingAndGivesItBackAtClose() {
    MemoryBudget shared = new MemoryBudget(32L << 20);
    try (RocksDbStateBackend other = RocksDbStateBackend.openTemporary(shared)) {
      long borrowedByBig;
      try (RocksDbStateBackend big = RocksDbStateBackend.openTemporary(shared)) {
        // More cells than a cache holds on its own, less than it may borrow.
        for (long i = 0; i < CellCache.MAX_ENTRIES * 3 / 2; i++) {
          RocksDbStateInternals.forKey(big, "k" + i, StringUtf8Coder.of(), 3)
              .state(NS, VALUE)
              .write(i);
        }
        assertThat("nothing dropped", big.cells().dropped(), is(0L));
        borrowedByBig = shared.reservedBytes();
        assertThat("it borrowed", borrowedByBig > 0, is(true));
        // The other finds the budget mostly spent: it drops instead of borrowing more.
        for (long i = 0; i < CellCache.MAX_ENTRIES * 3; i++) {
          RocksDbStateInternals.forKey(other, "k" + i, StringUtf8Coder.of(), 3)
              .state(NS, VALUE)
              .write(i);
        }
        assertThat("the other dropped", other.cells().dropped() > 0, is(true));
        assertThat(shared.reservedBytes() <= shared.limitBytes(), is(true));
      }
      assertThat(
          "the closed cache gave back what it borrowed",
          shared.reservedBytes() <= shared.limitBytes() - borrowedByBig,
          is(true));
      assertThat(
          RocksDbStateInternals.forKey(other, "k7", StringUtf8Coder.of(), 3)
              .state(NS, VALUE)
              .read(),
          is(7L));
    }
  }

  @Test
  void mapKeysThatComeAndGoBetweenCommitsLeaveNothingBehind() {
    MapState<Long, Long> map = key("a").state(NS, MAP);
    map.put(-1L, -1L);
    backend.commit(); // one stored entry
    long before = backend.cells().entries();
    for (long i = 0; i < 10_000; i++) {
      assertThat(map.get(i).read(), is(nullValue()));
      map.put(i, i);
      assertThat(map.get(i).read(), is(i));
      map.remove(i);
      assertThat(map.get(i + 1).read(), is(nullValue())); // a probe of a key never written
    }
    assertThat(backend.cells().entries() - before <= 1, is(true));
    map.remove(-1L); // stored: its delete is staged at the flush
    map.put(7L, 7L);
    backend.commit();
    assertThat(key("a").state(NS, MAP).get(-1L).read(), is(nullValue()));
    assertThat(backend.scan(new byte[0], null).size(), is(1)); // only 7 is stored
    assertThat(key("a").state(NS, MAP).get(7L).read(), is(7L));
  }

  @Test
  void aStateIsFoundAgainByAnEqualTagInItsNamespaceOnly() {
    RocksDbStateInternals<String> a = key("a");
    org.apache.beam.sdk.state.StateSpec<ValueState<Long>> spec =
        org.apache.beam.sdk.state.StateSpecs.value(VarLongCoder.of());
    // As runners-core asks for a DoFn's state: a new tag each time, over the same spec.
    ValueState<Long> first = a.state(NS, StateTags.tagForSpec("x", spec));
    assertThat(a.state(NS, StateTags.tagForSpec("x", spec)) == first, is(true));
    first.write(4L);
    StateNamespace other =
        StateNamespaces.window(
            org.apache.beam.sdk.transforms.windowing.IntervalWindow.getCoder(),
            new org.apache.beam.sdk.transforms.windowing.IntervalWindow(
                new org.joda.time.Instant(0), new org.joda.time.Instant(10)));
    ValueState<Long> elsewhere = a.state(other, StateTags.tagForSpec("x", spec));
    assertThat(elsewhere == first, is(false));
    assertThat(elsewhere.read(), is(nullValue()));
    // Past the four remembered lookups, the table still answers with the same object.
    for (int i = 0; i < 5; i++) {
      a.state(NS, StateTags.value("other" + i, VarLongCoder.of()));
    }
    assertThat(a.state(NS, StateTags.tagForSpec("x", spec)) == first, is(true));
    assertThat(first.read(), is(4L));
  }
}
