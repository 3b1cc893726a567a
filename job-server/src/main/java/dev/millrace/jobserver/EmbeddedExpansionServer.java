package dev.millrace.jobserver;

import java.io.IOException;
import org.apache.beam.sdk.expansion.service.ExpansionServer;
import org.apache.beam.sdk.expansion.service.ExpansionService;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.PortablePipelineOptions;
import org.apache.beam.sdk.util.construction.Environments;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java expansion service of the job server, for pipelines of other SDKs that use Java
 * transforms (GenerateSequence, KafkaIO, ...). Beam's own service gives them a DOCKER environment,
 * which nothing here can run; this one gives them the EMBEDDED environment, so they run in the
 * server's own Java harness, whose classpath is the one they were expanded with. No artifacts are
 * attached: the client has nothing to stage for them.
 */
final class EmbeddedExpansionServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedExpansionServer.class);

  private final ExpansionServer server;

  private EmbeddedExpansionServer(ExpansionServer server) {
    this.server = server;
  }

  /** Starts the service on {@code host} and {@code port} (0: a free one). */
  static EmbeddedExpansionServer start(String host, int port) throws IOException {
    PipelineOptions options = PipelineOptionsFactory.create();
    options
        .as(PortablePipelineOptions.class)
        .setDefaultEnvironmentType(Environments.ENVIRONMENT_EMBEDDED);
    ExpansionServer server = ExpansionServer.create(new ExpansionService(options), host, port);
    LOG.info(
        "Java expansion service (EMBEDDED environment) started on {}:{}",
        server.getHost(),
        server.getPort());
    return new EmbeddedExpansionServer(server);
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() throws Exception {
    server.close();
    LOG.info("Java expansion service stopped on {}:{}", server.getHost(), server.getPort());
  }
}
