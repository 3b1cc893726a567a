package dev.millrace.cluster.topics;

import dev.millrace.plan.Edge;
import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.Plan;

/**
 * How a remote edge's topic is partitioned and who reads which partition: a HASH edge has a
 * partition per key group and each consumer subtask reads its key-group range; a REBALANCE edge a
 * partition per consumer subtask; a BROADCAST edge one partition that every consumer subtask reads
 * whole.
 */
public final class EdgePartitions {
  private EdgePartitions() {}

  /** Whether the edge's elements cross workers; FORWARD edges stay inside one. */
  public static boolean isRemote(Edge edge) {
    return switch (edge.kind()) {
      case FORWARD -> false;
      case HASH, REBALANCE, BROADCAST -> true;
    };
  }

  public static int count(Plan plan, Edge edge) {
    return switch (edge.kind()) {
      case HASH -> edge.maxKeyGroups();
      case REBALANCE -> plan.vertices().get(edge.to().vertex()).parallelism();
      case BROADCAST -> 1;
      case FORWARD -> throw new IllegalArgumentException("a FORWARD edge has no topic");
    };
  }

  /** The partitions consumer subtask {@code consumer} reads, from {@code [0]} to {@code [1]}. */
  public static int[] readBy(Plan plan, Edge edge, int consumer) {
    int parallelism = plan.vertices().get(edge.to().vertex()).parallelism();
    return switch (edge.kind()) {
      case HASH ->
          new int[] {
            KeyGroups.rangeStart(consumer, edge.maxKeyGroups(), parallelism),
            KeyGroups.rangeStart(consumer + 1, edge.maxKeyGroups(), parallelism)
          };
      case REBALANCE -> new int[] {consumer, consumer + 1};
      case BROADCAST -> new int[] {0, 1};
      case FORWARD -> throw new IllegalArgumentException("a FORWARD edge has no topic");
    };
  }
}
