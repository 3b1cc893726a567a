package dev.millrace.vr;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.List;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannelBuilder;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannelProvider;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.netty.NettyChannelBuilder;

/**
 * Channels that Beam's vendored gRPC builds from a target alone ({@code ManagedChannelBuilder
 * .forTarget}) in the test JVM: plaintext for {@code localhost} targets, TLS, gRPC's default, for
 * every other. Builders that ask for plaintext or TLS get what they ask for.
 *
 * <p>Beam's cross-language tests ({@code BaseExternalTest.waitForReady}) probe the expansion
 * service with {@code ManagedChannelBuilder.forTarget(address).build()}, a TLS channel, and wait up
 * to 15 s for it to be READY before every test. Every expansion service, Beam's own included,
 * serves plaintext, so the probe never succeeds and each test idles 15 s (Beam's own runners pay
 * the same). Nothing in the test JVM connects to a loopback service over TLS; Millrace's harness
 * channels are built with explicit builders and do not come here.
 */
public final class PlaintextLoopbackChannels extends ManagedChannelProvider {

  @Override
  protected boolean isAvailable() {
    return true;
  }

  /** Above the vendored Netty provider (5), so {@code forTarget} comes here. */
  @Override
  protected int priority() {
    return 10;
  }

  @Override
  protected ManagedChannelBuilder<?> builderForAddress(String name, int port) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(name, port);
    return "localhost".equals(name) ? builder.usePlaintext() : builder;
  }

  @Override
  protected ManagedChannelBuilder<?> builderForTarget(String target) {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target);
    return target.startsWith("localhost:") ? builder.usePlaintext() : builder;
  }

  @Override
  protected Collection<Class<? extends SocketAddress>> getSupportedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }
}
