package dev.millrace.engine;

import dev.millrace.plan.StateFigures;

/**
 * What one subtask has done so far, as whoever watches the job reads it while it runs. A subtask
 * publishes new figures when a bundle ends, at most every {@link #PUBLISH_MILLIS} ms, and when it
 * ends; they are never more than that behind a busy subtask.
 *
 * @param vertex the vertex's id in the plan
 * @param recordsIn elements read from its channels and emitted by the sources of its chain
 * @param recordsOut elements sent on its outgoing edges (once per edge)
 * @param queued messages (batches of elements, watermarks, barriers) waiting in its inbox
 * @param queueCapacity how many its inbox holds: a full inbox pushes back on its senders
 * @param inputWatermark the lowest watermark of its input channels, END without any
 * @param outputWatermark the lowest output watermark of its operators
 * @param outputWatermarkSinceMillis wall-clock time at which the output watermark last moved
 * @param watermarkHeldBy what holds the output watermark back (see {@code PortWatermarks#holder});
 *     null once it reached the end
 */
public record SubtaskFigures(
    int vertex,
    int subtask,
    long recordsIn,
    long recordsOut,
    int queued,
    int queueCapacity,
    long inputWatermark,
    long outputWatermark,
    long outputWatermarkSinceMillis,
    String watermarkHeldBy,
    StateFigures state,
    boolean ended) {

  static final long PUBLISH_MILLIS = 100;
}
