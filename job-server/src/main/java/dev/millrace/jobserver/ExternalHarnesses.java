package dev.millrace.jobserver;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.fnexecution.v1.BeamFnExternalWorkerPoolGrpc;
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
import org.apache.beam.sdk.fn.channel.ManagedChannelFactory;
import org.apache.beam.sdk.fn.server.GrpcFnServer;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ConnectivityState;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannel;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.StatusRuntimeException;

/**
 * EXTERNAL environments (LOOPBACK too: the SDK passes its own worker pool as EXTERNAL): the worker
 * pool at the pipeline's address is asked to start a harness, which then connects. Beam's {@code
 * ExternalEnvironmentFactory} does the same but waits for that connection forever; a client that
 * submits in LOOPBACK and goes away right after (its pool with it) would leave its job RUNNING for
 * good. Here the wait ends, failing the job, once the pool is unreachable for a few seconds or
 * after {@link #CONNECT_TIMEOUT}.
 */
final class ExternalHarnesses implements EnvironmentFactory {
  private static final Duration CONNECT_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration POOL_GONE_AFTER = Duration.ofSeconds(5);

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
      BeamFnApi.StartWorkerRequest endpoints =
          BeamFnApi.StartWorkerRequest.newBuilder()
              .setControlEndpoint(controlServiceServer.getApiServiceDescriptor())
              .setLoggingEndpoint(loggingServiceServer.getApiServiceDescriptor())
              .setArtifactEndpoint(retrievalServiceServer.getApiServiceDescriptor())
              .setProvisionEndpoint(provisioningServiceServer.getApiServiceDescriptor())
              .build();
      return new ExternalHarnesses(endpoints, clientPool.getSource());
    }
  }

  private final BeamFnApi.StartWorkerRequest endpoints;
  private final ControlClientPool.Source clients;

  private ExternalHarnesses(
      BeamFnApi.StartWorkerRequest endpoints, ControlClientPool.Source clients) {
    this.endpoints = endpoints;
    this.clients = clients;
  }

  @Override
  public RemoteEnvironment createEnvironment(RunnerApi.Environment environment, String workerId)
      throws Exception {
    RunnerApi.ExternalPayload payload =
        RunnerApi.ExternalPayload.parseFrom(environment.getPayload());
    String pool = payload.getEndpoint().getUrl();
    ManagedChannel channel =
        ManagedChannelFactory.createDefault().forDescriptor(payload.getEndpoint());
    try {
      BeamFnApi.StartWorkerResponse started;
      try {
        started =
            BeamFnExternalWorkerPoolGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .startWorker(
                    endpoints.toBuilder()
                        .setWorkerId(workerId)
                        .putAllParams(payload.getParamsMap())
                        .build());
      } catch (StatusRuntimeException unreachable) {
        throw new IllegalStateException(
            "the worker pool at "
                + pool
                + " cannot be reached ("
                + unreachable.getStatus().getCode()
                + "): for LOOPBACK it lives in the process that submitted the job, which may have gone",
            unreachable);
      }
      if (!started.getError().isEmpty()) {
        throw new IllegalStateException(
            "the worker pool at " + pool + " could not start a harness: " + started.getError());
      }
      InstructionRequestHandler harness = awaitConnection(channel, pool, workerId);
      return new StartedHarness(environment, harness, () -> stopWorker(channel, workerId));
    } catch (Exception e) {
      channel.shutdownNow();
      throw e;
    }
  }

  /**
   * Waits for the harness the pool started to connect. The pool's channel was ready when it
   * answered; once it has not been ready for {@link #POOL_GONE_AFTER} (a pool that has gone only
   * cycles through connecting and failing), the harness will not come.
   */
  private InstructionRequestHandler awaitConnection(
      ManagedChannel pool, String address, String workerId) throws Exception {
    long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
    long lastReady = System.nanoTime();
    while (System.nanoTime() < deadline) {
      try {
        return clients.take(workerId, Duration.ofMillis(500));
      } catch (TimeoutException notYet) {
        if (pool.getState(true) == ConnectivityState.READY) {
          lastReady = System.nanoTime();
        } else if (System.nanoTime() - lastReady > POOL_GONE_AFTER.toNanos()) {
          throw new IllegalStateException(
              "the worker pool at "
                  + address
                  + " went away before its harness "
                  + workerId
                  + " connected");
        }
      }
    }
    throw new IllegalStateException(
        "the harness "
            + workerId
            + " of the worker pool at "
            + address
            + " did not connect within "
            + CONNECT_TIMEOUT.toMinutes()
            + " minutes");
  }

  /** Asks the pool to stop its harness, then lets go of the pool. */
  private static void stopWorker(ManagedChannel pool, String workerId) throws InterruptedException {
    try {
      // A pool that answers no more (a LOOPBACK client that has gone) has no harness to stop.
      BeamFnExternalWorkerPoolGrpc.newBlockingStub(pool)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .stopWorker(BeamFnApi.StopWorkerRequest.newBuilder().setWorkerId(workerId).build());
    } catch (StatusRuntimeException unreachable) {
      // Nothing to stop, or no one to ask: either way the job is done with this harness.
    } finally {
      pool.shutdown();
      if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    }
  }
}
