package dev.millrace.plan;

/**
 * Receives an operator's output. Calls never block: see {@link OperatorContext#isOutputBlocked()}.
 */
@FunctionalInterface
public interface Emitter {
  void emit(Object element) throws Exception;
}
