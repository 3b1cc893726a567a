package dev.millrace.cluster.membership;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka's group assignor for a job's workers: it assigns key groups, not partitions. Partition i of
 * every topic the workers subscribe to (each exchange topic and changelog of the job, all with a
 * partition per key group) goes to the worker that owns key group i, so a key's input and its state
 * are in the same worker. Owned key groups travel in the subscription, so the assignment is sticky
 * ({@link KeyGroupAssignment}). The eager protocol revokes everything before a new assignment: no
 * key group is worked on by two workers at once.
 *
 * <p>Set it with {@code partition.assignment.strategy}; Kafka makes one per consumer.
 */
public final class KeyGroupAssignor implements ConsumerPartitionAssignor {
  public static final String NAME = "millrace-key-groups";

  private Set<Integer> owned = Set.of();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ByteBuffer subscriptionUserData(Set<String> topics) {
    ByteBuffer data = ByteBuffer.allocate(4 + 4 * owned.size());
    data.putInt(owned.size());
    for (int keyGroup : owned) {
      data.putInt(keyGroup);
    }
    return data.flip();
  }

  static Set<Integer> ownedIn(ByteBuffer userData) {
    if (userData == null || userData.remaining() < 4) {
      return Set.of();
    }
    ByteBuffer data = userData.duplicate();
    int count = data.getInt();
    Set<Integer> keyGroups = new TreeSet<>();
    for (int i = 0; i < count && data.remaining() >= 4; i++) {
      keyGroups.add(data.getInt());
    }
    return keyGroups;
  }

  @Override
  public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
    Map<String, Subscription> members = group.groupSubscription();
    Set<String> topics = new TreeSet<>();
    members.values().forEach(s -> topics.addAll(s.topics()));
    int keyGroups = -1;
    for (String topic : topics) {
      Integer partitions = metadata.partitionCountForTopic(topic);
      if (partitions == null) {
        continue;
      }
      if (keyGroups != -1 && partitions != keyGroups) {
        throw new IllegalStateException(
            "the job's topics do not all have a partition per key group: "
                + topics
                + " have different partition counts");
      }
      keyGroups = partitions;
    }
    Map<String, Assignment> assignments = new HashMap<>();
    if (keyGroups < 0) {
      members.keySet().forEach(m -> assignments.put(m, new Assignment(List.of())));
      return new GroupAssignment(assignments);
    }
    Map<String, Set<Integer>> previously = new TreeMap<>();
    members.forEach(
        (member, subscription) -> previously.put(member, ownedIn(subscription.userData())));
    Map<String, TreeSet<Integer>> owners = KeyGroupAssignment.assign(keyGroups, previously);
    owners.forEach(
        (member, keyGroupsOfMember) -> {
          List<TopicPartition> partitions = new ArrayList<>();
          for (String topic : members.get(member).topics()) {
            for (int keyGroup : keyGroupsOfMember) {
              partitions.add(new TopicPartition(topic, keyGroup));
            }
          }
          assignments.put(member, new Assignment(partitions));
        });
    return new GroupAssignment(assignments);
  }

  @Override
  public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
    Set<Integer> keyGroups = new TreeSet<>();
    assignment.partitions().forEach(p -> keyGroups.add(p.partition()));
    owned = keyGroups;
  }
}
