package dev.millrace.plan;

/** What the engine gives an operator of one subtask. */
public interface OperatorContext {

  String operatorName();

  int subtaskIndex();

  int parallelism();

  /** Where the operator's output {@code port} goes (downstream operators and edges). */
  Emitter output(int port);

  /** The job's processing-time clock, in milliseconds. */
  long currentProcessingTime();
}
