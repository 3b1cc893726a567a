package dev.millrace.jobserver;

import java.util.Arrays;
import java.util.List;
import org.apache.beam.runners.jobsubmission.JobServerDriver;
import org.kohsuke.args4j.Option;

/**
 * The job server's command line: Beam's ports and hosts, plus what PROCESS environments may run.
 */
public class MillraceServerConfiguration extends JobServerDriver.ServerConfiguration {
  @Option(
      name = "--allowed-process-commands",
      usage =
          "Comma-separated commands that PROCESS environments may start on this machine (exact paths). "
              + "A pipeline asking for any other command is rejected: without this list a submitted "
              + "pipeline could run anything on the server. Empty (the default) allows none.")
  private String allowedProcessCommands = "";

  @Option(
      name = "--image-commands",
      usage =
          "Comma-separated IMAGE_PREFIX=COMMAND pairs: a DOCKER environment whose container image starts "
              + "with IMAGE_PREFIX runs as a PROCESS environment with COMMAND (a boot program of that SDK) "
              + "instead, since no Docker engine is used. The commands are allowed as PROCESS commands. "
              + "Example: apache/beam_go_sdk=/opt/millrace/go-boot")
  private String imageCommands = "";

  @Option(
      name = "--ui-port",
      usage =
          "Port of the web UI, the REST API (/api/v1) and Prometheus's /metrics: 0 picks a free one"
              + " (logged at start), -1 serves none.")
  private int uiPort = 8081;

  @Option(
      name = "--ui-host",
      usage =
          "Host the web UI binds, --job-host unless given: on loopback it serves this machine only,"
              + " and anyone on it may cancel, drain or checkpoint jobs; any other address needs"
              + " --ui-token for those actions.")
  private String uiHost = "";

  @Option(
      name = "--ui-token",
      usage =
          "Token the web UI's actions must carry ('Authorization: Bearer <token>') when it is not"
              + " bound to loopback. Without it, such a UI refuses actions.")
  private String uiToken = "";

  int uiPort() {
    return uiPort;
  }

  String uiHost() {
    return uiHost.isEmpty() ? getHost() : uiHost;
  }

  String uiToken() {
    return uiToken;
  }

  /** How DOCKER environments of some images run as processes here. */
  ImageCommands imageCommands() {
    return ImageCommands.parse(imageCommands);
  }

  /** The commands a PROCESS environment may run, exactly as given at start. */
  public List<String> allowedProcessCommands() {
    List<String> allowed =
        new java.util.ArrayList<>(
            Arrays.stream(allowedProcessCommands.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList());
    allowed.addAll(imageCommands().commands());
    return allowed;
  }
}
