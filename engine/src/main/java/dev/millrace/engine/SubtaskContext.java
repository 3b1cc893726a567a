package dev.millrace.engine;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.OperatorContext;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.LongUnaryOperator;

/** What one operator of a subtask's chain sees of the engine. */
final class SubtaskContext implements OperatorContext {
  private final String operatorName;
  private final int subtaskIndex;
  private final int parallelism;
  private final Emitter[] outputs;
  private final BooleanSupplier outputBlocked;

  /** From the job's clock to synchronized processing time, as the subtask holds it. */
  private final LongUnaryOperator synchronizedTime;

  private final SubtaskServices services;

  SubtaskContext(
      String operatorName,
      int subtaskIndex,
      int parallelism,
      Emitter[] outputs,
      BooleanSupplier outputBlocked,
      LongUnaryOperator synchronizedTime,
      SubtaskServices services) {
    this.operatorName = operatorName;
    this.subtaskIndex = subtaskIndex;
    this.parallelism = parallelism;
    this.outputs = outputs;
    this.outputBlocked = outputBlocked;
    this.synchronizedTime = synchronizedTime;
    this.services = services;
  }

  @Override
  public String operatorName() {
    return operatorName;
  }

  @Override
  public int subtaskIndex() {
    return subtaskIndex;
  }

  @Override
  public int parallelism() {
    return parallelism;
  }

  @Override
  public Emitter output(int port) {
    return outputs[port];
  }

  @Override
  public boolean isOutputBlocked() {
    return outputBlocked.getAsBoolean();
  }

  @Override
  public boolean isDraining() {
    return services.control().isDraining();
  }

  @Override
  public boolean isCheckpointing() {
    return services.checkpoints() != null;
  }

  @Override
  public long currentProcessingTime() {
    return services.clock().now();
  }

  @Override
  public long currentSynchronizedProcessingTime() {
    return synchronizedTime.applyAsLong(services.clock().now());
  }

  @Override
  public void advanceProcessingTime(long millis) {
    services.quiescence().advanceClock(millis);
  }

  @Override
  public ScheduledExecutorService scheduler() {
    return services.scheduler().get();
  }
}
