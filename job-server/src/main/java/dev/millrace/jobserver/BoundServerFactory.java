package dev.millrace.jobserver;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.model.pipeline.v1.Endpoints;
import org.apache.beam.sdk.fn.server.GrpcContextHeaderAccessorProvider;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.BindableService;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.Server;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ServerInterceptors;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.netty.NettyServerBuilder;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.net.HostAndPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC servers bound to one host's address only. Beam's default factory binds every interface
 * whatever host its URL names ({@code NettyServerBuilder.forPort}), so a server meant for this
 * machine would take jobs, artifacts and harness connections from the whole network. Every server
 * of the job server (job service, artifact staging, and the control, data, state, logging, artifact
 * and provisioning services its SDK harnesses connect to) is made here, bound to {@code
 * --job-host}: loopback unless the user says otherwise, with a warning when not.
 */
final class BoundServerFactory extends ServerFactory {
  private static final Logger LOG = LoggerFactory.getLogger(BoundServerFactory.class);
  private static final int KEEP_ALIVE_SECONDS = 20;

  private final String host;
  private final InetAddress address;

  /** The host clients are told to connect to: the machine's name when bound to every interface. */
  private final String advertisedHost;

  private final AtomicBoolean warned = new AtomicBoolean();

  BoundServerFactory(String host) {
    this.host = host;
    try {
      this.address = InetAddress.getByName(host);
      this.advertisedHost =
          address.isAnyLocalAddress() ? InetAddress.getLocalHost().getHostName() : host;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "--job-host=" + host + " is not a known host name or address", e);
    }
  }

  /** Whether servers of this factory can be reached from other machines. */
  boolean isLoopback() {
    return address.isLoopbackAddress();
  }

  @Override
  public Server allocateAddressAndCreate(
      List<BindableService> services, Endpoints.ApiServiceDescriptor.Builder descriptor)
      throws IOException {
    Server server = start(services, new InetSocketAddress(address, 0));
    descriptor.setUrl(HostAndPort.fromParts(advertisedHost, server.getPort()).toString());
    return server;
  }

  @Override
  public Server create(List<BindableService> services, Endpoints.ApiServiceDescriptor descriptor)
      throws IOException {
    HostAndPort url = HostAndPort.fromString(descriptor.getUrl());
    if (!url.hasPort()) {
      throw new IllegalArgumentException("a server address needs a port: " + descriptor.getUrl());
    }
    return start(
        services, new InetSocketAddress(InetAddress.getByName(url.getHost()), url.getPort()));
  }

  private Server start(List<BindableService> services, InetSocketAddress socket)
      throws IOException {
    if (!socket.getAddress().isLoopbackAddress() && warned.compareAndSet(false, true)) {
      LOG.warn(
          "Binding {} ({}), and the job server's other services the same way: other machines can reach"
              + " them, and anyone who can may submit jobs, stage files or talk to SDK harnesses. Bind"
              + " loopback (the default) unless that is what you want.",
          socket.getAddress(),
          host);
    }
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(socket)
            // Messages are as large as the layers above make them, as in Beam's own factory.
            .maxInboundMessageSize(Integer.MAX_VALUE)
            .permitKeepAliveTime(KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
    for (BindableService service : services) {
      builder.addService(
          ServerInterceptors.intercept(service, GrpcContextHeaderAccessorProvider.interceptor()));
    }
    return builder.build().start();
  }
}
