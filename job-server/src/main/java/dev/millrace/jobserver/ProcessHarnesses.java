package dev.millrace.jobserver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.artifact.ArtifactRetrievalService;
import org.apache.beam.runners.fnexecution.control.ControlClientPool;
import org.apache.beam.runners.fnexecution.control.FnApiControlClientPoolService;
import org.apache.beam.runners.fnexecution.control.InstructionRequestHandler;
import org.apache.beam.runners.fnexecution.environment.EnvironmentFactory;
import org.apache.beam.runners.fnexecution.environment.RemoteEnvironment;
import org.apache.beam.runners.fnexecution.logging.GrpcLoggingService;
import org.apache.beam.runners.fnexecution.provisioning.StaticGrpcProvisionService;
import org.apache.beam.sdk.fn.IdGenerator;
import org.apache.beam.sdk.fn.server.GrpcFnServer;
import org.apache.beam.sdk.fn.server.ServerFactory;

/**
 * PROCESS environments: the harness is a command this server starts, with {@code --id} and {@code
 * --provision_endpoint} as Beam's boot programs expect, and the job waits until it connects. Beam's
 * own {@code ProcessEnvironmentFactory} does the same but sends the harness's output to /dev/null,
 * so a harness that dies while it starts fails the job with no more than its exit code; here the
 * last lines of its output are kept (only those: a harness may print a lot over a long job) and
 * become the job's error. Harnesses still running when the server stops are stopped with it.
 */
final class ProcessHarnesses implements EnvironmentFactory {
  private static final int OUTPUT_LINES_IN_ERROR = 30;
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  /** How the job's bundle factory reaches this one. */
  static final class Provider extends BoundHarnessProvider {
    Provider(ServerFactory servers) {
      super(servers);
    }

    @Override
    public EnvironmentFactory createEnvironmentFactory(
        GrpcFnServer<FnApiControlClientPoolService> controlServiceServer,
        GrpcFnServer<GrpcLoggingService> loggingServiceServer,
        GrpcFnServer<ArtifactRetrievalService> retrievalServiceServer,
        GrpcFnServer<StaticGrpcProvisionService> provisioningServiceServer,
        ControlClientPool clientPool,
        IdGenerator idGenerator) {
      return new ProcessHarnesses(
          provisioningServiceServer.getApiServiceDescriptor().getUrl(), clientPool.getSource());
    }
  }

  private final String provisionEndpoint;
  private final ControlClientPool.Source clients;

  private ProcessHarnesses(String provisionEndpoint, ControlClientPool.Source clients) {
    this.provisionEndpoint = provisionEndpoint;
    this.clients = clients;
  }

  @Override
  public RemoteEnvironment createEnvironment(RunnerApi.Environment environment, String workerId)
      throws Exception {
    RunnerApi.ProcessPayload payload = RunnerApi.ProcessPayload.parseFrom(environment.getPayload());
    List<String> command = new ArrayList<>();
    command.add(payload.getCommand());
    command.add("--id=" + workerId);
    command.add("--provision_endpoint=" + provisionEndpoint);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(payload.getEnvMap());
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "could not start the SDK harness command " + payload.getCommand() + ": " + e.getMessage(),
          e);
    }
    RUNNING.add(process);
    OutputTail output = new OutputTail(process, workerId);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try {
      while (true) {
        if (!process.isAlive()) {
          output.awaitEnd();
          throw new IllegalStateException(
              "the SDK harness "
                  + payload.getCommand()
                  + " exited with code "
                  + process.exitValue()
                  + " before it connected; its last output:\n"
                  + output.lines());
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the SDK harness "
                  + payload.getCommand()
                  + " did not connect within "
                  + START_TIMEOUT.toSeconds()
                  + " s; its last output:\n"
                  + output.lines());
        }
        try {
          InstructionRequestHandler harness = clients.take(workerId, Duration.ofMillis(200));
          return new StartedHarness(environment, harness, () -> stop(process));
        } catch (TimeoutException notYet) {
          // Still starting: look again whether it lives.
        }
      }
    } catch (Exception e) {
      stop(process);
      throw e;
    }
  }

  /** Harness processes of every job on this server, stopped if the server is. */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> RUNNING.forEach(Process::destroyForcibly),
                "millrace-harness-processes-stop"));
  }

  private static void stop(Process process) throws InterruptedException {
    try {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } finally {
      RUNNING.remove(process);
    }
  }

  /**
   * The last lines a harness printed, read by a thread of their own so its output never blocks it.
   */
  private static final class OutputTail {
    private final ArrayDeque<String> last = new ArrayDeque<>();
    private final Thread reader;

    OutputTail(Process process, String workerId) {
      reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    synchronized (last) {
                      if (last.size() == OUTPUT_LINES_IN_ERROR) {
                        last.removeFirst();
                      }
                      last.addLast(line);
                    }
                  }
                } catch (IOException e) {
                  // The process is gone; what was read is what there is.
                }
              },
              "millrace-harness-output-" + workerId);
      reader.setDaemon(true);
      reader.start();
    }

    void awaitEnd() throws InterruptedException {
      reader.join(TimeUnit.SECONDS.toMillis(5));
    }

    String lines() {
      synchronized (last) {
        return String.join("\n", last);
      }
    }
  }
}
