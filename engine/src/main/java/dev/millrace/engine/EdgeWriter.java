package dev.millrace.engine;

import dev.millrace.plan.Edge;
import dev.millrace.plan.Emitter;

/**
 * The producer side of one edge in one subtask: elements in, batches and watermarks out to the
 * edge's consumers, in this process ({@link LocalEdgeWriter}) or through a {@link RemoteExchange}
 * ({@link RemoteEdgeWriter}). Writing never blocks: while {@link #isBlocked()}, the subtask takes
 * no new input and {@link #tryFlushOverflow()} is asked to move what waits.
 */
interface EdgeWriter extends Emitter {
  Edge edge();

  /** Elements emitted on this edge so far, by the thread stepping the producer. */
  long emitted();

  /** True while output waits for room downstream. */
  boolean isBlocked();

  /** Moves waiting output on if there is room now; returns whether any moved. */
  boolean tryFlushOverflow();

  /** Sends everything buffered. */
  void flush();

  /** Flushes and sends checkpoint {@code checkpointId}'s barrier behind what was sent. */
  void sendBarrier(long checkpointId);

  /**
   * Flushes and tells every consumer the watermark if it advanced, behind the elements sent before;
   * returns whether it advanced.
   */
  boolean advanceWatermark(long watermark);
}
