package dev.millrace.plan;

/** How an edge routes elements from producer subtasks to consumer subtasks. */
public enum EdgeKind {
  /** Producer subtask i feeds consumer subtask i; both sides have the same parallelism. */
  FORWARD,
  /** By key group of the element's encoded key. */
  HASH,
  /** Every element to every consumer subtask (side inputs). */
  BROADCAST,
  /** Round robin, for a change of parallelism without a key. */
  REBALANCE
}
