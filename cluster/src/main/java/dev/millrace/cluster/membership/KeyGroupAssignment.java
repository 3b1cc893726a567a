package dev.millrace.cluster.membership;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which worker owns which key groups: balanced (every worker within one key group of the others)
 * and sticky (a worker keeps what it owned up to its share, so adding a third worker to two moves a
 * third of the key groups, not half, and removing it moves back only its own).
 */
final class KeyGroupAssignment {
  private KeyGroupAssignment() {}

  /**
   * Assigns key groups {@code 0 .. keyGroups-1} to {@code previouslyOwned}'s workers (by member
   * id), given what each owned before (empty for a new one; a key group claimed twice goes to the
   * first claimant by id, one out of range is ignored).
   */
  static Map<String, TreeSet<Integer>> assign(
      int keyGroups, Map<String, ? extends Set<Integer>> previouslyOwned) {
    if (previouslyOwned.isEmpty()) {
      throw new IllegalArgumentException("no worker to assign key groups to");
    }
    TreeMap<String, TreeSet<Integer>> kept = new TreeMap<>();
    BitSet claimed = new BitSet(keyGroups);
    for (Map.Entry<String, ? extends Set<Integer>> member :
        new TreeMap<>(previouslyOwned).entrySet()) {
      TreeSet<Integer> mine = new TreeSet<>();
      for (int keyGroup : new TreeSet<>(member.getValue())) {
        if (keyGroup >= 0 && keyGroup < keyGroups && !claimed.get(keyGroup)) {
          claimed.set(keyGroup);
          mine.add(keyGroup);
        }
      }
      kept.put(member.getKey(), mine);
    }
    int members = kept.size();
    int base = keyGroups / members;
    int larger = keyGroups % members;
    // The larger shares go to those who hold the most already: fewer key groups move.
    List<String> byHeld = new ArrayList<>(kept.keySet());
    byHeld.sort(
        Comparator.comparingInt((String m) -> kept.get(m).size())
            .reversed()
            .thenComparing(Comparator.naturalOrder()));
    Map<String, Integer> quota = new HashMap<>();
    for (int i = 0; i < byHeld.size(); i++) {
      quota.put(byHeld.get(i), base + (i < larger ? 1 : 0));
    }
    BitSet free = new BitSet(keyGroups);
    free.set(0, keyGroups);
    for (Map.Entry<String, TreeSet<Integer>> member : kept.entrySet()) {
      TreeSet<Integer> mine = member.getValue();
      while (mine.size() > quota.get(member.getKey())) {
        mine.pollLast();
      }
      for (int keyGroup : mine) {
        free.clear(keyGroup);
      }
    }
    int next = free.nextSetBit(0);
    for (Map.Entry<String, TreeSet<Integer>> member : kept.entrySet()) {
      TreeSet<Integer> mine = member.getValue();
      while (mine.size() < quota.get(member.getKey())) {
        mine.add(next);
        next = free.nextSetBit(next + 1);
      }
    }
    return kept;
  }
}
