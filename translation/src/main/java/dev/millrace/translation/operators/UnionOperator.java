package dev.millrace.translation.operators;

/** Flatten: every input port to the one output. Also the identity of exchanges like Reshuffle. */
public final class UnionOperator extends AbstractOperator {
  public UnionOperator(int inputs) {
    super(inputs);
  }

  @Override
  public void processElement(int port, Object element) throws Exception {
    output(0).emit(element);
  }

  @Override
  public boolean isCheckpointable() {
    return true; // only its input watermarks
  }
}
