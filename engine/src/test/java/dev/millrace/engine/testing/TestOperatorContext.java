package dev.millrace.engine.testing;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.OperatorContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * An {@link OperatorContext} for one operator under test: each output port collects what is
 * emitted, the processing-time clock moves only when told, and output can be blocked as a full
 * downstream inbox would block it.
 */
public final class TestOperatorContext implements OperatorContext {
  private final String operatorName;
  private final int subtaskIndex;
  private final int parallelism;
  private final List<List<Object>> outputs = new ArrayList<>();
  private volatile boolean outputBlocked;
  private volatile boolean draining;
  private final boolean checkpointing;
  private long now;
  private ScheduledThreadPoolExecutor scheduler;

  public TestOperatorContext(String operatorName, int outputPorts, boolean checkpointing) {
    this(operatorName, 0, 1, outputPorts, checkpointing);
  }

  public TestOperatorContext(
      String operatorName,
      int subtaskIndex,
      int parallelism,
      int outputPorts,
      boolean checkpointing) {
    this.operatorName = operatorName;
    this.subtaskIndex = subtaskIndex;
    this.parallelism = parallelism;
    this.checkpointing = checkpointing;
    for (int port = 0; port < outputPorts; port++) {
      outputs.add(new ArrayList<>());
    }
  }

  /** What output {@code port} received so far. */
  public List<Object> emitted(int port) {
    return outputs.get(port);
  }

  public void blockOutput(boolean blocked) {
    this.outputBlocked = blocked;
  }

  public void drain() {
    this.draining = true;
  }

  /** Sets the processing-time clock; it never moves by itself. */
  public void setProcessingTime(long millis) {
    this.now = millis;
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
    List<Object> out = outputs.get(port);
    return out::add;
  }

  @Override
  public boolean isOutputBlocked() {
    return outputBlocked;
  }

  @Override
  public boolean isDraining() {
    return draining;
  }

  @Override
  public boolean isCheckpointing() {
    return checkpointing;
  }

  @Override
  public long currentProcessingTime() {
    return now;
  }

  @Override
  public void advanceProcessingTime(long millis) {
    now = Math.max(now, millis);
  }

  @Override
  public synchronized ScheduledExecutorService scheduler() {
    if (scheduler == null) {
      scheduler =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "test-operator-scheduler");
                t.setDaemon(true);
                return t;
              });
    }
    return scheduler;
  }

  /** Stops the scheduler, if one was started. */
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
