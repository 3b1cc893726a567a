package dev.millrace.plan;

/**
 * The contract between the engine and the code it runs. One instance serves one subtask and is
 * only ever called from that subtask's thread, so implementations need no synchronization.
 *
 * <p>Calls arrive in bundles: the engine calls {@link #startBundle()} before the first element,
 * watermark or timer callback of a bundle and {@link #finishBundle()} at its end; an operator may
 * emit from any of these calls. Watermarks are milliseconds; {@link Watermarks#END} means the
 * input on that port is complete.
 */
public interface Operator {

  void open(OperatorContext context) throws Exception;

  default void startBundle() throws Exception {}

  void processElement(int port, Object element) throws Exception;

  /** The watermark of input {@code port} advanced to {@code watermark}. */
  void processWatermark(int port, long watermark) throws Exception;

  /**
   * What this operator promises downstream: no element it emits later will be earlier than this.
   * Must not exceed the minimum of its input watermarks unless the operator has no inputs.
   */
  long outputWatermark();

  /** True while processing-time callbacks may produce output or release holds. */
  default boolean wantsProcessingTime() {
    return false;
  }

  default void onProcessingTime(long now) throws Exception {}

  default void finishBundle() throws Exception {}

  /** Called once, whether the job succeeded, failed or was cancelled. */
  default void close() throws Exception {}
}
