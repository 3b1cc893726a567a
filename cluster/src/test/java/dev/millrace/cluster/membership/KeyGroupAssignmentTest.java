package dev.millrace.cluster.membership;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class KeyGroupAssignmentTest {

  /** Every key group owned once, and shares within one of each other. */
  static void assertBalancedAndComplete(int keyGroups, Map<String, TreeSet<Integer>> owners) {
    TreeSet<Integer> all = new TreeSet<>();
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (TreeSet<Integer> mine : owners.values()) {
      for (int keyGroup : mine) {
        assertThat("key group " + keyGroup + " owned twice", all.add(keyGroup), is(true));
      }
      min = Math.min(min, mine.size());
      max = Math.max(max, mine.size());
    }
    assertThat(all.size(), is(keyGroups));
    assertThat(max - min, lessThanOrEqualTo(1));
  }

  static int moved(Map<String, TreeSet<Integer>> before, Map<String, TreeSet<Integer>> after) {
    int moved = 0;
    for (Map.Entry<String, TreeSet<Integer>> member : after.entrySet()) {
      Set<Integer> had = before.getOrDefault(member.getKey(), new TreeSet<>());
      for (int keyGroup : member.getValue()) {
        moved += had.contains(keyGroup) ? 0 : 1;
      }
    }
    return moved;
  }

  @Test
  void twoToThreeToTwoMovesAThirdEachWay() {
    Map<String, TreeSet<Integer>> two =
        KeyGroupAssignment.assign(128, Map.of("a", Set.of(), "b", Set.of()));
    assertBalancedAndComplete(128, two);
    Map<String, Set<Integer>> withC = new HashMap<>(two);
    withC.put("c", Set.of());
    Map<String, TreeSet<Integer>> three = KeyGroupAssignment.assign(128, withC);
    assertBalancedAndComplete(128, three);
    assertThat("the new worker's share, and nothing else, moves", moved(two, three), is(42));
    Map<String, Set<Integer>> withoutC = new HashMap<>(three);
    withoutC.remove("c");
    Map<String, TreeSet<Integer>> back = KeyGroupAssignment.assign(128, withoutC);
    assertBalancedAndComplete(128, back);
    assertThat("only the leaving worker's key groups move", moved(three, back), is(42));
  }

  @Test
  void anyHistoryEndsBalancedCompleteAndKeepsWhatFitsItsShare() {
    Random random = new Random(11);
    for (int round = 0; round < 500; round++) {
      int keyGroups = 1 + random.nextInt(200);
      int members = 1 + random.nextInt(9);
      Map<String, Set<Integer>> previously = new HashMap<>();
      for (int m = 0; m < members; m++) {
        Set<Integer> claims = new TreeSet<>();
        for (int c = random.nextInt(keyGroups + 5); c > 0; c--) {
          claims.add(random.nextInt(keyGroups + 10) - 5); // some out of range, some twice
        }
        previously.put("m" + m, claims);
      }
      Map<String, TreeSet<Integer>> owners = KeyGroupAssignment.assign(keyGroups, previously);
      assertBalancedAndComplete(keyGroups, owners);
      // Stickiness: of the key groups a worker held (in range, not claimed by a worker before it
      // by id), it keeps as many as its share allows.
      Set<Integer> taken = new TreeSet<>();
      for (String member : new TreeSet<>(previously.keySet())) {
        Set<Integer> won = new TreeSet<>(previously.get(member));
        won.removeIf(k -> k < 0 || k >= keyGroups || taken.contains(k));
        taken.addAll(won);
        TreeSet<Integer> owned = owners.get(member);
        Set<Integer> keptOfOwn = new TreeSet<>(owned);
        keptOfOwn.retainAll(won);
        assertThat(
            member + " kept of its own", keptOfOwn.size(), is(Math.min(owned.size(), won.size())));
      }
    }
  }
}
