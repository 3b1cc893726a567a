package dev.millrace.jobserver;

import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.control.InstructionRequestHandler;
import org.apache.beam.runners.fnexecution.environment.RemoteEnvironment;

/**
 * A harness this server started (a process, or a worker of a pool): closing it ends its control
 * stream, then runs {@code stop} to release what keeps it alive.
 */
record StartedHarness(
    RunnerApi.Environment environment, InstructionRequestHandler harness, AutoCloseable stop)
    implements RemoteEnvironment {
  @Override
  public RunnerApi.Environment getEnvironment() {
    return environment;
  }

  @Override
  public InstructionRequestHandler getInstructionRequestHandler() {
    return harness;
  }

  @Override
  public void close() throws Exception {
    try {
      harness.close();
    } finally {
      stop.close();
    }
  }
}
