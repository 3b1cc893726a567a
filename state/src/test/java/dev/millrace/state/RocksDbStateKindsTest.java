package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.emptyIterable;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import java.util.AbstractMap.SimpleImmutableEntry;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** State kinds that Beam's StateInternalsTest does not cover. */
class RocksDbStateKindsTest {
  private static final StateNamespace NS =
      StateNamespaces.window(GlobalWindow.Coder.INSTANCE, GlobalWindow.INSTANCE);
  private static final StateTag<MultimapState<String, Integer>> MULTIMAP =
      StateTags.tagForSpec("multimap", StateSpecs.multimap(StringUtf8Coder.of(), VarIntCoder.of()));
  private static final StateTag<OrderedListState<String>> ORDERED =
      StateTags.tagForSpec("ordered", StateSpecs.orderedList(StringUtf8Coder.of()));
  private static final StateTag<BagState<Integer>> BAG = StateTags.bag("bag", VarIntCoder.of());

  private RocksDbStateBackend backend;
  private RocksDbStateInternals<String> internals;

  @BeforeEach
  void open() {
    backend = RocksDbStateBackend.openTemporary();
    internals = RocksDbStateInternals.forKey(backend, "key", StringUtf8Coder.of(), 42);
  }

  @AfterEach
  void close() {
    backend.close();
  }

  @Test
  void multimapKeepsDuplicatesInOrderPerKey() {
    MultimapState<String, Integer> m = internals.state(NS, MULTIMAP);
    ReadableState<Boolean> empty = m.isEmpty();
    ReadableState<Boolean> hasA = m.containsKey("a");
    assertThat(empty.read(), is(true));
    m.put("a", 1);
    m.put("b", 2);
    m.put("a", 1);
    m.put("a", 3);
    // "ab" shares a byte prefix with "a"; length prefixes keep their values apart.
    m.put("ab", 4);
    assertThat(empty.read(), is(false));
    assertThat(hasA.read(), is(true));
    assertThat(m.get("a").read(), contains(1, 1, 3));
    assertThat(m.get("ab").read(), contains(4));
    assertThat(m.keys().read(), containsInAnyOrder("a", "b", "ab"));
    assertThat(
        m.entries().read(),
        containsInAnyOrder(
            new SimpleImmutableEntry<>("a", 1),
            new SimpleImmutableEntry<>("a", 1),
            new SimpleImmutableEntry<>("a", 3),
            new SimpleImmutableEntry<>("b", 2),
            new SimpleImmutableEntry<>("ab", 4)));

    m.remove("a");
    assertThat(hasA.read(), is(false));
    assertThat(m.get("a").read(), emptyIterable());
    assertThat(m.get("ab").read(), contains(4));
    m.clear();
    assertThat(empty.read(), is(true));
    assertThat(m.keys().read(), emptyIterable());
  }

  @Test
  void orderedListSortsByTimestampThenInsertion() {
    OrderedListState<String> list = internals.state(NS, ORDERED);
    assertThat(list.isEmpty().read(), is(true));
    list.add(TimestampedValue.of("t5-first", new Instant(5)));
    list.add(TimestampedValue.of("neg", new Instant(-10)));
    list.add(TimestampedValue.of("t5-second", new Instant(5)));
    list.add(TimestampedValue.of("min", BoundedWindow.TIMESTAMP_MIN_VALUE));
    list.add(TimestampedValue.of("max", BoundedWindow.TIMESTAMP_MAX_VALUE));
    list.add(TimestampedValue.of("t1", new Instant(1)));

    assertThat(
        list.read(),
        contains(
            TimestampedValue.of("min", BoundedWindow.TIMESTAMP_MIN_VALUE),
            TimestampedValue.of("neg", new Instant(-10)),
            TimestampedValue.of("t1", new Instant(1)),
            TimestampedValue.of("t5-first", new Instant(5)),
            TimestampedValue.of("t5-second", new Instant(5)),
            TimestampedValue.of("max", BoundedWindow.TIMESTAMP_MAX_VALUE)));
    assertThat(
        list.readRange(new Instant(-10), new Instant(5)),
        contains(
            TimestampedValue.of("neg", new Instant(-10)),
            TimestampedValue.of("t1", new Instant(1))));

    list.clearRange(new Instant(0), new Instant(6));
    assertThat(
        list.read(),
        contains(
            TimestampedValue.of("min", BoundedWindow.TIMESTAMP_MIN_VALUE),
            TimestampedValue.of("neg", new Instant(-10)),
            TimestampedValue.of("max", BoundedWindow.TIMESTAMP_MAX_VALUE)));
    list.clear();
    assertThat(list.isEmpty().read(), is(true));
  }

  @Test
  void bagKeepsInsertionOrderAcrossCommits() {
    BagState<Integer> bag = internals.state(NS, BAG);
    for (int i = 0; i < 300; i++) {
      bag.add(i);
      if (i % 100 == 99) {
        backend.commit();
      }
    }
    Integer[] expected = new Integer[300];
    for (int i = 0; i < 300; i++) {
      expected[i] = i;
    }
    assertThat(bag.read(), contains(expected));
  }

  @Test
  void namespacesAndStateIdsDoNotLeakIntoEachOther() {
    StateNamespace other = StateNamespaces.global();
    BagState<Integer> bag = internals.state(NS, BAG);
    BagState<Integer> sameIdOtherNamespace = internals.state(other, BAG);
    BagState<Integer> longerId = internals.state(NS, StateTags.bag("bag2", VarIntCoder.of()));
    bag.add(1);
    sameIdOtherNamespace.add(2);
    longerId.add(3);
    bag.clear();
    assertThat(sameIdOtherNamespace.read(), contains(2));
    assertThat(longerId.read(), contains(3));
    assertThat(bag.read(), emptyIterable());
    assertThat(
        RocksDbStateInternals.forKey(backend, "key", StringUtf8Coder.of(), 42)
            .state(NS, StateTags.bag("bag2", VarIntCoder.of()))
            .read(),
        contains(3));
    assertThat(internals.getKey(), equalTo("key"));
  }

  @Test
  void hugeKeysKeepTheirOwnStateAndADiscardedBundleForgetsThem() {
    String base = "k".repeat(StateKeys.INLINE_KEY_LIMIT + 1);
    RocksDbStateInternals<String> a =
        RocksDbStateInternals.forKey(backend, base + "a", StringUtf8Coder.of(), 5);
    RocksDbStateInternals<String> b =
        RocksDbStateInternals.forKey(backend, base + "b", StringUtf8Coder.of(), 5);
    assertThat(a.keyPrefix().length < 32, is(true));
    a.state(NS, BAG).add(1);
    b.state(NS, BAG).add(2);
    backend.commit();
    assertThat(
        RocksDbStateInternals.forKey(backend, base + "a", StringUtf8Coder.of(), 5)
            .state(NS, BAG)
            .read(),
        contains(1));
    assertThat(b.state(NS, BAG).read(), contains(2));

    RocksDbStateInternals<String> c =
        RocksDbStateInternals.forKey(backend, base + "c", StringUtf8Coder.of(), 5);
    c.state(NS, BAG).add(3);
    backend.discard();
    assertThat(backend.scanPrefix(new byte[] {KeyDictionary.PREFIX}).size(), is(2));
    assertThat(
        RocksDbStateInternals.forKey(backend, base + "c", StringUtf8Coder.of(), 5)
            .state(NS, BAG)
            .read(),
        emptyIterable());
  }
}
