package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ValueState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbStateBackendTest {
  private static final StateNamespace GLOBAL = StateNamespaces.global();
  private static final StateTag<ValueState<String>> VALUE =
      StateTags.value("value", StringUtf8Coder.of());
  private static final StateTag<BagState<Integer>> BAG = StateTags.bag("bag", VarIntCoder.of());
  private static final StateTag<MapState<String, Integer>> MAP =
      StateTags.map("map", StringUtf8Coder.of(), VarIntCoder.of());

  private static RocksDbStateInternals<String> internals(
      RocksDbStateBackend backend, String key, int keyGroup) {
    return RocksDbStateInternals.forKey(backend, key, StringUtf8Coder.of(), keyGroup);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void keyGroupRangesAreContiguousAndDisjoint() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      for (int g = 0; g + 1 < StateKeys.MAX_KEY_GROUPS; g++) {
        KeyGroupRange range = backend.keyGroupRange(g);
        KeyGroupRange next = backend.keyGroupRange(g + 1);
        assertThat(
            "range " + g + " ends where " + (g + 1) + " starts",
            Arrays.equals(range.endExclusive(), next.start()),
            is(true));
        assertThat(Arrays.compareUnsigned(range.start(), range.endExclusive()) < 0, is(true));
      }
      KeyGroupRange last = backend.keyGroupRange(StateKeys.MAX_KEY_GROUPS - 1);
      assertThat(last.endExclusive(), equalTo(new byte[] {(byte) 0x80, 0}));
      assertThrows(
          IllegalArgumentException.class, () -> backend.keyGroupRange(StateKeys.MAX_KEY_GROUPS));
      assertThrows(IllegalArgumentException.class, () -> backend.keyGroupRange(-1));
    }
  }

  @Test
  void stateOfAKeyLiesInsideItsKeyGroupRangeOnly() {
    int[] groups = {0, 1, 255, 256, 4097, StateKeys.MAX_KEY_GROUPS - 1};
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      for (int g : groups) {
        // Keys whose encodings start with 0xFF bytes probe the upper edge of the range.
        for (String key : List.of("k" + g, "\u00ff\u00ff" + g, "")) {
          RocksDbStateInternals<String> s = internals(backend, key, g);
          s.state(GLOBAL, VALUE).write("v");
          s.state(StateNamespaces.global(), BAG).add(g);
          s.state(GLOBAL, MAP).put("\u00ff", g);
        }
      }
      backend.commit();
      for (int g : groups) {
        KeyGroupRange range = backend.keyGroupRange(g);
        List<RocksDbStateBackend.Entry> inRange = backend.scan(range.start(), range.endExclusive());
        assertThat(inRange.size(), equalTo(9));
        for (RocksDbStateBackend.Entry e : inRange) {
          assertThat(StateKeys.keyGroupOf(e.key()), equalTo(g));
          for (int other : groups) {
            assertThat(backend.keyGroupRange(other).contains(e.key()), is(other == g));
          }
        }
      }
      assertThat(backend.scan(new byte[0], null).size(), equalTo(9 * groups.length));
    }
  }

  @Test
  void tenMegabyteValueRoundTrips() {
    byte[] big = new byte[10 * 1024 * 1024];
    new Random(42).nextBytes(big);
    StateTag<ValueState<byte[]>> blob = StateTags.value("blob", ByteArrayCoder.of());
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      ValueState<byte[]> value =
          RocksDbStateInternals.forKey(backend, "k", StringUtf8Coder.of(), 3).state(GLOBAL, blob);
      value.write(big);
      assertThat(Arrays.equals(value.read(), big), is(true));
      backend.commit();
      ValueState<byte[]> fresh =
          RocksDbStateInternals.forKey(backend, "k", StringUtf8Coder.of(), 3).state(GLOBAL, blob);
      assertThat(Arrays.equals(fresh.read(), big), is(true));
    }
  }

  @Test
  void uncommittedWritesAreVisibleAndDiscardable() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      ValueState<String> value = internals(backend, "k", 1).state(GLOBAL, VALUE);
      value.write("committed");
      backend.commit();
      assertThat(backend.pendingWrites(), equalTo(0));

      value.write("pending");
      BagState<Integer> bag = internals(backend, "k", 1).state(GLOBAL, BAG);
      bag.add(1);
      bag.add(2);
      assertThat(value.read(), equalTo("pending"));
      assertThat(bag.read(), org.hamcrest.Matchers.contains(1, 2));
      assertThat(backend.pendingWrites(), not(equalTo(0)));

      backend.discard();
      assertThat(value.read(), equalTo("committed"));
      assertThat(bag.read(), org.hamcrest.Matchers.emptyIterable());
      assertThat(backend.pendingWrites(), equalTo(0));
    }
  }

  @Test
  void uncommittedDeletesHideCommittedData() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      BagState<Integer> bag = internals(backend, "k", 1).state(GLOBAL, BAG);
      bag.add(1);
      bag.add(2);
      backend.commit();
      bag.clear();
      assertThat(bag.read(), org.hamcrest.Matchers.emptyIterable());
      assertThat(bag.isEmpty().read(), is(true));
      bag.add(3);
      assertThat(bag.read(), org.hamcrest.Matchers.contains(3));
      backend.discard();
      assertThat(bag.read(), org.hamcrest.Matchers.contains(1, 2));
    }
  }

  @Test
  void committedStateSurvivesReopenAndUncommittedDoesNot(@TempDir Path dir) {
    try (RocksDbStateBackend backend = RocksDbStateBackend.open(dir)) {
      internals(backend, "k", 9).state(GLOBAL, VALUE).write("kept");
      backend.commit();
      internals(backend, "other", 9).state(GLOBAL, VALUE).write("lost");
    }
    assertThat(Files.exists(dir), is(true));
    try (RocksDbStateBackend backend = RocksDbStateBackend.open(dir)) {
      assertThat(internals(backend, "k", 9).state(GLOBAL, VALUE).read(), equalTo("kept"));
      assertThat(internals(backend, "other", 9).state(GLOBAL, VALUE).read(), nullValue());
    }
  }

  @Test
  void layoutVersionMismatchFailsNamingBothVersions(@TempDir Path dir) {
    try (RocksDbStateBackend backend = RocksDbStateBackend.open(dir, 1)) {
      internals(backend, "k", 0).state(GLOBAL, VALUE).write("v");
      backend.commit();
    }
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> RocksDbStateBackend.open(dir, 2));
    assertThat(
        e.getMessage(),
        allOf(containsString("layout version 1"), containsString("layout version 2")));
    // A failed open must release the DB lock, so the right version still opens.
    try (RocksDbStateBackend backend = RocksDbStateBackend.open(dir, 1)) {
      assertThat(internals(backend, "k", 0).state(GLOBAL, VALUE).read(), equalTo("v"));
    }
  }

  @Test
  void temporaryDirectoryIsRemovedOnClose() {
    RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();
    Path dir = backend.directory();
    internals(backend, "k", 0).state(GLOBAL, VALUE).write("v");
    backend.commit();
    assertThat(Files.isDirectory(dir), is(true));
    backend.close();
    assertThat(Files.exists(dir), is(false));
    backend.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> backend.get(bytes("x")));
  }

  @Test
  void aTemporaryBackendOpensItsDatabaseOnlyAtTheFirstWrite() throws Exception {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      BagState<Integer> bag = internals(backend, "k", 3).state(GLOBAL, BAG);
      assertThat(bag.read(), org.hamcrest.Matchers.emptyIterable());
      assertThat(backend.scan(new byte[0], null), empty());
      assertThat(backend.minimumWatermarkHold(), nullValue());
      backend.commit();
      try (java.util.stream.Stream<Path> files = Files.list(backend.directory())) {
        assertThat(files.count(), equalTo(0L));
      }
      bag.add(1);
      assertThat(bag.read(), org.hamcrest.Matchers.contains(1));
      // The bag holds its element until the commit writes it.
      backend.commit();
      try (java.util.stream.Stream<Path> files = Files.list(backend.directory())) {
        assertThat(files.count() > 0, is(true));
      }
      assertThat(bag.read(), org.hamcrest.Matchers.contains(1));
    }
  }

  @Test
  void appendsStayInOrderAroundClearsCommitsAndDiscards() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      BagState<Integer> bag = internals(backend, "k", 3).state(GLOBAL, BAG);
      bag.add(1);
      bag.add(2);
      backend.commit();
      bag.add(3);
      backend.discard();
      bag.add(4);
      assertThat(bag.read(), org.hamcrest.Matchers.contains(1, 2, 4));
      bag.clear();
      bag.add(5);
      bag.add(6);
      backend.commit();
      bag.add(7);
      assertThat(bag.read(), org.hamcrest.Matchers.contains(5, 6, 7));
    }
  }

  @Test
  void keysAreIsolatedFromEachOther() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      // "a" and "ab" would collide without length prefixes if one were a prefix of the other.
      BagState<Integer> a = internals(backend, "a", 5).state(GLOBAL, BAG);
      BagState<Integer> ab = internals(backend, "ab", 5).state(GLOBAL, BAG);
      a.add(1);
      ab.add(2);
      a.clear();
      assertThat(ab.read(), org.hamcrest.Matchers.contains(2));
      assertThat(a.read(), org.hamcrest.Matchers.emptyIterable());
      assertThat(backend.scanPrefix(StateKeys.keyGroupPrefix(6)), empty());
    }
  }
}
