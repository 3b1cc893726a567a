package dev.millrace.plan;

/** An operator with no inputs that produces elements when the engine asks for them. */
public interface SourceOperator extends Operator {

  /** What a source can do after a call to {@link #emit(int)}. */
  enum Status {
    /** It may have more right away: ask again soon. */
    ACTIVE,
    /** Nothing to read now: ask again at {@link #wakeUpTime()}, not before. */
    IDLE,
    /** Exhausted for good; its {@link #outputWatermark()} is {@link Watermarks#END}. */
    DONE
  }

  /** Emits at most {@code maxElements} elements. */
  Status emit(int maxElements) throws Exception;

  /**
   * When {@link #emit} last said {@link Status#IDLE}: the wall-clock time ({@link
   * System#currentTimeMillis()}, not the job's clock, which a test may hold still) at which to ask
   * again, or {@link Operator#NO_PROCESSING_TIME} to be asked only when something else happens (a
   * quiescent job, for {@link #emitsOnlyWhenQuiescent()} sources). A source whose watermark moves
   * with time asks to be woken too: the watermark is read after every step.
   */
  default long wakeUpTime() {
    return NO_PROCESSING_TIME;
  }

  /**
   * True for a source that may emit only while the rest of the job is quiescent: no element or
   * watermark in flight, no open bundle, no pending work or due timer anywhere (TestStream: each
   * event travels through the whole pipeline before the next one).
   */
  default boolean emitsOnlyWhenQuiescent() {
    return false;
  }

  @Override
  default void processElement(int port, Object element) {
    throw new IllegalStateException("a source has no inputs");
  }

  @Override
  default void processWatermark(int port, long watermark) {
    throw new IllegalStateException("a source has no inputs");
  }
}
