package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.emptyIterable;
import static org.hamcrest.Matchers.is;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MapState;
import org.junit.jupiter.api.Test;

/**
 * Cells cleared and refilled over and over (a bag under a trigger that fires on every element):
 * reads seek from a floor above the cell's deleted entries, and must never miss a live one.
 */
class ClearedCellsTest {
  private static final StateNamespace GLOBAL = StateNamespaces.global();
  private static final StateTag<BagState<Integer>> BAG = StateTags.bag("bag", VarIntCoder.of());
  private static final StateTag<MapState<String, Integer>> MAP =
      StateTags.map("map", StringUtf8Coder.of(), VarIntCoder.of());

  private static RocksDbStateInternals<String> internals(RocksDbStateBackend backend, String key) {
    return RocksDbStateInternals.forKey(backend, key, StringUtf8Coder.of(), 3);
  }

  private static List<Integer> list(Iterable<Integer> values) {
    List<Integer> out = new ArrayList<>();
    values.forEach(out::add);
    return out;
  }

  @Test
  void aBagClearedAfterEveryAddReadsOnlyItsLastElement() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      for (int i = 0; i < 2_000; i++) {
        BagState<Integer> bag = internals(backend, "k").state(GLOBAL, BAG);
        bag.add(i);
        assertThat(bag.isEmpty().read(), is(false));
        assertThat(list(bag.read()), contains(i));
        bag.clear();
        assertThat(bag.isEmpty().read(), is(true));
        if (i % 7 == 0) {
          backend.commit(); // across bundles too
        }
      }
      BagState<Integer> bag = internals(backend, "k").state(GLOBAL, BAG);
      bag.add(-1);
      bag.add(-2);
      backend.commit();
      assertThat(list(internals(backend, "k").state(GLOBAL, BAG).read()), contains(-1, -2));
    }
  }

  @Test
  void anEntryWrittenBelowACellsFloorIsSeen() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      MapState<String, Integer> map = internals(backend, "k").state(GLOBAL, MAP);
      map.put("m", 1);
      map.put("z", 2);
      backend.commit();
      map.remove("m");
      // The floor is now at "z"; "a" sorts below it.
      assertThat(list(map.values().read()), contains(2));
      map.put("a", 3);
      assertThat(list(map.values().read()), contains(3, 2));
      map.clear();
      assertThat(map.isEmpty().read(), is(true));
      map.put("b", 4);
      assertThat(list(map.values().read()), contains(4));
      assertThat(map.isEmpty().read(), is(false));
    }
  }

  @Test
  void aDiscardBringsBackWhatAClearDeleted() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      BagState<Integer> bag = internals(backend, "k").state(GLOBAL, BAG);
      bag.add(1);
      bag.add(2);
      backend.commit();
      bag.clear();
      assertThat(bag.isEmpty().read(), is(true));
      assertThat(bag.read(), emptyIterable());
      backend.discard();
      assertThat(bag.isEmpty().read(), is(false));
      assertThat(list(bag.read()), containsInAnyOrder(1, 2));
      bag.add(3);
      assertThat(list(bag.read()), contains(1, 2, 3));
    }
  }

  @Test
  void cellsOfOtherKeysKeepTheirEntries() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      BagState<Integer> a = internals(backend, "a").state(GLOBAL, BAG);
      BagState<Integer> b = internals(backend, "b").state(GLOBAL, BAG);
      for (int i = 0; i < 100; i++) {
        a.add(i);
        a.clear();
        b.add(i);
      }
      assertThat(a.isEmpty().read(), is(true));
      assertThat(list(b.read()).size(), is(100));
    }
  }
}
