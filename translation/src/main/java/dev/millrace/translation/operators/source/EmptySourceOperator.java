package dev.millrace.translation.operators.source;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;

/** The source of a Flatten of no inputs: complete at once, with no elements. */
public final class EmptySourceOperator implements SourceOperator {
  @Override
  public void open(OperatorContext context) {}

  @Override
  public Status emit(int maxElements) {
    return Status.DONE;
  }

  @Override
  public long outputWatermark() {
    return Watermarks.END;
  }

  @Override
  public boolean isCheckpointable() {
    return true; // it holds nothing
  }
}
