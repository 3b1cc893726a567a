package dev.millrace.jobserver;

import org.apache.beam.runners.fnexecution.environment.EnvironmentFactory;
import org.apache.beam.sdk.fn.server.ServerFactory;

/**
 * An environment provider whose harnesses connect to servers made by the job server's {@link
 * BoundServerFactory}, bound as its own are. Beam's default provider binds every interface.
 */
abstract class BoundHarnessProvider implements EnvironmentFactory.Provider {
  private final ServerFactory servers;

  BoundHarnessProvider(ServerFactory servers) {
    this.servers = servers;
  }

  @Override
  public ServerFactory getServerFactory() {
    return servers;
  }
}
