package dev.millrace.jobserver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.pipeline.v1.Endpoints;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.BindableService;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ForwardingServerCall;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.Metadata;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.Server;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ServerCall;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ServerCallHandler;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ServerInterceptor;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ServerInterceptors;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.Status;

/**
 * Makes the job API's errors say what went wrong. Beam's {@code InMemoryJobService} fails a call
 * with a bare INTERNAL or INVALID_ARGUMENT status whose reason is only its cause, which gRPC keeps
 * on the server: a client whose pipeline names an artifact it never staged would learn nothing but
 * "INTERNAL". This factory serves the same services, but a status without a description gets its
 * cause's message as one.
 */
final class ErrorDescriptions extends ServerFactory {
  private final ServerFactory servers;

  ErrorDescriptions(ServerFactory servers) {
    this.servers = servers;
  }

  @Override
  public Server allocateAddressAndCreate(
      List<BindableService> services, Endpoints.ApiServiceDescriptor.Builder builder)
      throws IOException {
    return servers.allocateAddressAndCreate(described(services), builder);
  }

  @Override
  public Server create(
      List<BindableService> services, Endpoints.ApiServiceDescriptor serviceDescriptor)
      throws IOException {
    return servers.create(described(services), serviceDescriptor);
  }

  private static List<BindableService> described(List<BindableService> services) {
    List<BindableService> described = new ArrayList<>();
    for (BindableService service : services) {
      described.add(() -> ServerInterceptors.intercept(service, DESCRIBE_CAUSE));
    }
    return described;
  }

  private static final ServerInterceptor DESCRIBE_CAUSE =
      new ServerInterceptor() {
        @Override
        public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
          return next.startCall(
              new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                  super.close(withCauseAsDescription(status), trailers);
                }
              },
              headers);
        }
      };

  static Status withCauseAsDescription(Status status) {
    if (status.isOk() || status.getDescription() != null || status.getCause() == null) {
      return status;
    }
    Throwable cause = status.getCause();
    return status.withDescription(cause.getClass().getSimpleName() + ": " + cause.getMessage());
  }
}
