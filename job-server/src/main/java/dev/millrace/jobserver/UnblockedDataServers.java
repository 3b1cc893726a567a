package dev.millrace.jobserver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.fnexecution.v1.BeamFnDataGrpc;
import org.apache.beam.model.pipeline.v1.Endpoints;
import org.apache.beam.runners.fnexecution.artifact.ArtifactRetrievalService;
import org.apache.beam.runners.fnexecution.control.ControlClientPool;
import org.apache.beam.runners.fnexecution.control.FnApiControlClientPoolService;
import org.apache.beam.runners.fnexecution.data.GrpcDataService;
import org.apache.beam.runners.fnexecution.environment.EnvironmentFactory;
import org.apache.beam.runners.fnexecution.logging.GrpcLoggingService;
import org.apache.beam.runners.fnexecution.provisioning.StaticGrpcProvisionService;
import org.apache.beam.sdk.fn.IdGenerator;
import org.apache.beam.sdk.fn.server.GrpcFnServer;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.BindableService;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.Server;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.stub.StreamObserver;

/**
 * Servers for SDK harnesses whose data service takes what harnesses send off gRPC's thread at once
 * ({@link InboundDataBuffer}); every other service is served as the wrapped factory serves it.
 */
final class UnblockedDataServers extends ServerFactory {
  private final ServerFactory servers;

  UnblockedDataServers(ServerFactory servers) {
    this.servers = servers;
  }

  /** {@code provider}, its harnesses' servers made by an {@link UnblockedDataServers}. */
  static EnvironmentFactory.Provider of(EnvironmentFactory.Provider provider) {
    ServerFactory unblocked = new UnblockedDataServers(provider.getServerFactory());
    return new EnvironmentFactory.Provider() {
      @Override
      public EnvironmentFactory createEnvironmentFactory(
          GrpcFnServer<FnApiControlClientPoolService> control,
          GrpcFnServer<GrpcLoggingService> logging,
          GrpcFnServer<ArtifactRetrievalService> artifacts,
          GrpcFnServer<StaticGrpcProvisionService> provisioning,
          ControlClientPool clients,
          IdGenerator ids) {
        return provider.createEnvironmentFactory(
            control, logging, artifacts, provisioning, clients, ids);
      }

      @Override
      public ServerFactory getServerFactory() {
        return unblocked;
      }
    };
  }

  @Override
  public Server allocateAddressAndCreate(
      List<BindableService> services, Endpoints.ApiServiceDescriptor.Builder descriptor)
      throws IOException {
    return servers.allocateAddressAndCreate(unblocked(services), descriptor);
  }

  @Override
  public Server create(List<BindableService> services, Endpoints.ApiServiceDescriptor descriptor)
      throws IOException {
    return servers.create(unblocked(services), descriptor);
  }

  private static List<BindableService> unblocked(List<BindableService> services) {
    List<BindableService> result = new ArrayList<>(services.size());
    for (BindableService service : services) {
      result.add(
          service instanceof GrpcDataService data ? new UnblockedDataService(data) : service);
    }
    return result;
  }

  /** Beam's data service, each harness's inbound stream behind an {@link InboundDataBuffer}. */
  static final class UnblockedDataService extends BeamFnDataGrpc.BeamFnDataImplBase {
    private final GrpcDataService data;

    UnblockedDataService(GrpcDataService data) {
      this.data = data;
    }

    @Override
    public StreamObserver<BeamFnApi.Elements> data(StreamObserver<BeamFnApi.Elements> toHarness) {
      return new InboundDataBuffer(data.data(toHarness));
    }
  }
}
