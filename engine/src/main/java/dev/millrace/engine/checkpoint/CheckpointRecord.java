package dev.millrace.engine.checkpoint;

/**
 * One checkpoint of a running job, as its history shows it.
 *
 * @param trigger {@code "periodic"} (the interval), {@code "manual"} (asked for while running) or
 *     {@code "at end of input"} (an operator waits for one to let go of what it holds)
 * @param startedAtMillis wall-clock time it was triggered
 * @param durationMillis from its trigger to its metadata; until then, so far
 * @param alignmentMillis from its trigger until the last subtask had every barrier and began its
 *     snapshot: how long the slowest path held the checkpoint back
 * @param bytes the size of its directory once completed (RocksDB files it shares with earlier
 *     checkpoints through hard links counted in full); 0 before
 * @param status {@code IN_PROGRESS}, {@code COMPLETED}, or {@code ABANDONED} (the job stopped
 *     before every subtask took part)
 */
public record CheckpointRecord(
    long id,
    String trigger,
    long startedAtMillis,
    long durationMillis,
    long alignmentMillis,
    long bytes,
    String status) {}
