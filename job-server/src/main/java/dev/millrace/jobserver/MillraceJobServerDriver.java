package dev.millrace.jobserver;

import dev.millrace.runner.monitor.MonitoredJobs;
import dev.millrace.runner.web.WebUi;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.jobsubmission.JobServerDriver;
import org.kohsuke.args4j.CmdLineException;
import org.kohsuke.args4j.CmdLineParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Millrace job server: Beam's JobService on {@code --job-port} (8099), artifact staging on
 * {@code --artifact-port} (8098) and a Java expansion service on {@code --expansion-port} (8097),
 * bound to {@code --job-host} (localhost) and nothing else. Port 0 picks a free port, logged at
 * start. Jobs run on the Millrace engine in this JVM; their user code runs in SDK harnesses over
 * the Fn API.
 */
public final class MillraceJobServerDriver extends JobServerDriver {

  private static final Logger LOG = LoggerFactory.getLogger(MillraceJobServerDriver.class);

  private final String host;

  /** The expansion service's port; negative: none. Beam's own service is never started. */
  private final int expansionPort;

  private EmbeddedExpansionServer expansion;

  private final MillraceServerConfiguration configuration;
  private WebUi ui;

  private MillraceJobServerDriver(
      MillraceServerConfiguration configuration, BoundServerFactory servers, int expansionPort) {
    super(
        configuration,
        new ErrorDescriptions(servers),
        servers,
        () ->
            new MillraceJobInvoker(
                configuration.allowedProcessCommands(), configuration.imageCommands(), servers));
    this.host = configuration.getHost();
    this.expansionPort = expansionPort;
    this.configuration = configuration;
  }

  @Override
  public synchronized String start() throws IOException {
    startExpansion();
    startUi();
    return super.start();
  }

  @Override
  public void run() {
    try {
      startExpansion();
    } catch (IOException e) {
      LOG.error("The Java expansion service could not start on port {}", expansionPort, e);
      return;
    }
    try {
      startUi();
    } catch (IOException e) {
      LOG.error(
          "The web UI could not start on {}:{} (--ui-port; -1 for none): {}",
          configuration.uiHost(),
          configuration.uiPort(),
          e.toString());
      return;
    }
    super.run();
  }

  private synchronized void startUi() throws IOException {
    if (configuration.uiPort() >= 0 && ui == null) {
      ui =
          WebUi.start(
              configuration.uiHost(),
              configuration.uiPort(),
              configuration.uiToken(),
              MonitoredJobs.ofThisJvm());
    }
  }

  /** The web UI's address once started, else null. */
  public synchronized String uiUrl() {
    return ui == null ? null : ui.url();
  }

  private synchronized void startExpansion() throws IOException {
    if (expansionPort >= 0 && expansion == null) {
      expansion = EmbeddedExpansionServer.start(host, expansionPort);
    }
  }

  /** The expansion service's port once started, else -1. */
  public synchronized int expansionPort() {
    return expansion == null ? -1 : expansion.port();
  }

  @Override
  public synchronized void stop() {
    super.stop();
    if (ui != null) {
      ui.close();
      ui = null;
    }
    if (expansion != null) {
      try {
        expansion.close();
      } catch (Exception e) {
        LOG.warn("The Java expansion service did not stop cleanly", e);
      }
      expansion = null;
    }
  }

  public static void main(String[] args) {
    MillraceJobServerDriver driver;
    try {
      driver = fromParams(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    driver.run();
  }

  /** Called by Beam's {@code TestPortableRunner} through reflection, and by {@link #main}. */
  public static MillraceJobServerDriver fromParams(String[] args) {
    MillraceServerConfiguration configuration = new MillraceServerConfiguration();
    CmdLineParser parser = new CmdLineParser(configuration);
    try {
      parser.parseArgument(args);
    } catch (CmdLineException e) {
      java.io.StringWriter usage = new java.io.StringWriter();
      parser.printUsage(usage, null);
      throw new IllegalArgumentException(
          e.getMessage() + "\nUsage: millrace-job-server [options]\n" + usage, e);
    }
    return fromConfig(configuration);
  }

  /**
   * A server on free loopback ports (read them from {@link #start()}'s endpoint), with the Java
   * expansion service off: what tests and in-process users want. {@code moreArgs} are added.
   */
  public static MillraceJobServerDriver onFreeLoopbackPorts(String... moreArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--job-host=localhost",
                "--job-port=0",
                "--artifact-port=0",
                "--expansion-port=-1",
                "--ui-port=0"));
    args.addAll(List.of(moreArgs));
    return fromParams(args.toArray(new String[0]));
  }

  /**
   * A server as {@code configuration} says. Every server it starts, its SDK harnesses' included,
   * binds {@code --job-host} only (see {@link BoundServerFactory}); so does the expansion service.
   */
  public static MillraceJobServerDriver fromConfig(MillraceServerConfiguration configuration) {
    int expansionPort = configuration.getExpansionPort();
    configuration.setExpansionPort(-1); // ours replaces Beam's (see EmbeddedExpansionServer)
    return new MillraceJobServerDriver(
        configuration, new BoundServerFactory(configuration.getHost()), expansionPort);
  }
}
