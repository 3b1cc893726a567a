package dev.millrace.plan;

/** Makes one fresh operator per subtask. */
@FunctionalInterface
public interface OperatorFactory {
  Operator create();
}
