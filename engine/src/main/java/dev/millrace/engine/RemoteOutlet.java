package dev.millrace.engine;

import dev.millrace.plan.Emitter;

/**
 * Where one producer subtask sends the elements of an edge that crosses processes (see {@link
 * RemoteExchange}). Called only from the thread stepping that subtask. Like every edge writer it
 * must never block: when its transport is full it says {@link #isBlocked()}, keeps what it was
 * given, and wakes the job's workers once {@link #tryFlushOverflow()} can move it.
 */
public interface RemoteOutlet extends Emitter {
  /** Hands everything buffered to the transport. */
  void flush();

  /**
   * Flushes, then promises every consumer that nothing this subtask sends later is before {@code
   * watermark} ({@code Watermarks.END}: nothing more at all).
   */
  void advanceWatermark(long watermark);

  /**
   * Flushes: what was sent so far belongs to checkpoint {@code checkpointId}; what comes after
   * belongs behind it, and the transport keeps it back from the consumers until the checkpoint's
   * completion is durable ({@link RemoteExchange#checkpointCompleted}).
   */
  void barrier(long checkpointId);

  /** True while the transport holds as much of this subtask's output as it may. */
  boolean isBlocked();

  /** Moves held output to the transport if it has room; returns whether any moved. */
  boolean tryFlushOverflow();
}
