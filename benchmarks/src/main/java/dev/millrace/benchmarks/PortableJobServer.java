package dev.millrace.benchmarks;

import dev.millrace.jobserver.MillraceJobServerDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.beam.runners.portability.PortableRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.PortablePipelineOptions;

/**
 * The {@code millrace-portable} column: a Millrace job server on free loopback ports in this JVM,
 * started on first use and stopped at exit, and Beam's PortableRunner submitting to it with the
 * EMBEDDED Java harness (nothing is staged: the harness runs on this JVM's class path).
 */
final class PortableJobServer {
  private static String endpoint;

  private PortableJobServer() {}

  static synchronized PipelineOptions options() {
    if (endpoint == null) {
      MillraceJobServerDriver server = MillraceJobServerDriver.onFreeLoopbackPorts();
      try {
        endpoint = server.start();
      } catch (IOException e) {
        throw new UncheckedIOException("could not start the Millrace job server", e);
      }
      Runtime.getRuntime()
          .addShutdownHook(new Thread(server::stop, "millrace-benchmark-job-server-stop"));
    }
    PortablePipelineOptions options =
        PipelineOptionsFactory.fromArgs("--defaultEnvironmentType=EMBEDDED")
            .as(PortablePipelineOptions.class);
    options.setRunner(PortableRunner.class);
    options.setJobEndpoint(endpoint);
    options.setFilesToStage(List.of());
    return options;
  }
}
