package dev.millrace.plan;

/** An operator with no inputs that produces elements when the engine asks for them. */
public interface SourceOperator extends Operator {

  /**
   * Emits at most {@code maxElements} elements.
   *
   * @return false once the source is exhausted; its {@link #outputWatermark()} is then {@link
   *     Watermarks#END}
   */
  boolean emit(int maxElements) throws Exception;

  @Override
  default void processElement(int port, Object element) {
    throw new IllegalStateException("a source has no inputs");
  }

  @Override
  default void processWatermark(int port, long watermark) {
    throw new IllegalStateException("a source has no inputs");
  }
}
