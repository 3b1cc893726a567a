package dev.millrace.plan;

/** Receives an operator's output. Calls may block while a downstream queue is full. */
@FunctionalInterface
public interface Emitter {
  void emit(Object element) throws Exception;
}
