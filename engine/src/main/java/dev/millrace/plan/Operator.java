package dev.millrace.plan;

/**
 * The contract between the engine and the code it runs. One instance serves one subtask and is only
 * ever called from that subtask's thread, so implementations need no synchronization.
 *
 * <p>Calls arrive in bundles: the engine calls {@link #startBundle()} before the first element,
 * watermark, timer or pending-work callback of a bundle and {@link #finishBundle()} at its end; an
 * operator may emit from any of these calls. {@code finishBundle()} is the commit point: what the
 * bundle wrote is kept, and its output goes downstream right after. Watermarks are milliseconds;
 * {@link Watermarks#END} means the input on that port is complete.
 *
 * <p>An operator that could emit without bound from one call (timers falling due, a grouping
 * drained at the end of its input) stops once {@link OperatorContext#isOutputBlocked()} says
 * downstream is full, reports {@link #hasPendingWork()}, and goes on in {@link #continueWork()}
 * once there is room: that keeps what waits on the heap to about one batch per edge.
 */
public interface Operator {

  /** {@link #nextProcessingTime()} of an operator with nothing to do in processing time. */
  long NO_PROCESSING_TIME = Long.MAX_VALUE;

  void open(OperatorContext context) throws Exception;

  default void startBundle() throws Exception {}

  void processElement(int port, Object element) throws Exception;

  /** The watermark of input {@code port} advanced to {@code watermark}. */
  void processWatermark(int port, long watermark) throws Exception;

  /**
   * What this operator promises downstream: no element it emits later will be earlier than this.
   * Must not exceed the minimum watermark of the inputs that {@link #boundsOutput bound} it (the
   * engine checks, and fails the job when it does).
   */
  long outputWatermark();

  /**
   * Why {@link #outputWatermark()} is below what the inputs allow, in a few words for people
   * watching the job (a source's position, the earliest pending timer, a watermark hold, a side
   * input not ready yet); empty to say nothing. Called between bundles, on the thread that runs the
   * operator, a few times a second at most.
   */
  default String describeWatermarkHold() {
    return "";
  }

  /**
   * The keyed state this operator holds now, or null when it keeps none. Called between bundles, on
   * the thread that runs the operator, a few times a second at most: answer from counts kept
   * anyway, not by walking the state.
   */
  default StateFigures stateFigures() {
    return null;
  }

  /**
   * Whether the watermark of input {@code port} bounds {@link #outputWatermark()}. Every input does
   * but a side input: an operator waits for a side input by holding back the main input that needs
   * it, so its output may run ahead of the side input's own watermark.
   */
  default boolean boundsOutput(int port) {
    return true;
  }

  /**
   * The earliest time on the job's clock at which {@link #onProcessingTime(long)} has work (a
   * processing-time timer falls due), or {@link #NO_PROCESSING_TIME}. The engine asks after every
   * step and sleeps until the earliest such time of its subtasks, so this must be cheap.
   */
  default long nextProcessingTime() {
    return NO_PROCESSING_TIME;
  }

  /** The job's clock reached {@code now}, at or after {@link #nextProcessingTime()}. */
  default void onProcessingTime(long now) throws Exception {}

  /** True while work stopped for a full output remains; see {@link #continueWork()}. */
  default boolean hasPendingWork() {
    return false;
  }

  /** Goes on with pending work until it is done or the output is full again. */
  default void continueWork() throws Exception {}

  default void finishBundle() throws Exception {}

  /**
   * Whether {@link #snapshotState} saves everything this operator keeps across bundles, so that a
   * job restarted from a checkpoint goes on exactly where the checkpoint was taken. A job with
   * checkpoints on refuses to run an operator that says false.
   */
  default boolean isCheckpointable() {
    return false;
  }

  /**
   * Saves what this operator keeps, between two bundles: the bundle before the checkpoint's barrier
   * was finished, and nothing of the input after it was seen. May emit nothing.
   */
  default void snapshotState(SnapshotWriter out) throws Exception {}

  /**
   * On a restarted job, right after {@link #open} and before any other call: take back a snapshot.
   */
  default void restoreState(SnapshotReader in) throws Exception {}

  /**
   * Checkpoint {@code checkpointId}, which holds this operator's last snapshot, is complete and
   * durable: side effects that must wait for it (finalizing a source's checkpoint mark) may happen.
   * Called between bundles.
   */
  default void checkpointComplete(long checkpointId) throws Exception {}

  /**
   * With checkpoints on: true while this operator holds something only a completed checkpoint lets
   * go of (source marks to finalize, bundle finalizers to run, input kept stable). Once its input
   * has ended, the subtask asks for a checkpoint at once instead of waiting for the next one due,
   * and does not finish before this turns false.
   */
  default boolean awaitsCheckpoint() {
    return false;
  }

  /** Called once, whether the job succeeded, failed or was cancelled. */
  default void close() throws Exception {}
}
