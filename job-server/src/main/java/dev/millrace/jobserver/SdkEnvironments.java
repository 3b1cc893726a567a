package dev.millrace.jobserver;

import dev.millrace.runner.monitor.JobOrigin;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.fnexecution.environment.EmbeddedEnvironmentFactory;
import org.apache.beam.runners.fnexecution.environment.EnvironmentFactory;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.construction.BeamUrns;
import org.apache.beam.sdk.util.construction.Environments;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.InvalidProtocolBufferException;

/**
 * The SDK environments Millrace starts harnesses in: EMBEDDED (the Java harness in this JVM),
 * PROCESS (a command on this machine, only one the server was started to allow), EXTERNAL (a worker
 * pool the SDK runs, which is also how LOOPBACK reaches the submitting process). DOCKER needs a
 * Docker engine; a pipeline asking for it is rejected before it starts.
 */
final class SdkEnvironments {
  static final String DOCKER = BeamUrns.getUrn(RunnerApi.StandardEnvironments.Environments.DOCKER);
  static final String PROCESS =
      BeamUrns.getUrn(RunnerApi.StandardEnvironments.Environments.PROCESS);
  static final String EXTERNAL =
      BeamUrns.getUrn(RunnerApi.StandardEnvironments.Environments.EXTERNAL);
  static final String EMBEDDED = Environments.ENVIRONMENT_EMBEDDED;

  private SdkEnvironments() {}

  /**
   * How each environment starts its harnesses; the services a PROCESS or EXTERNAL harness connects
   * to are made by {@code servers} (EMBEDDED ones are in-process, with no socket). Every data
   * service takes what harnesses send off gRPC's thread at once ({@link UnblockedDataServers}).
   */
  static Map<String, EnvironmentFactory.Provider> providers(
      PipelineOptions options, ServerFactory servers) {
    return Map.of(
        PROCESS, UnblockedDataServers.of(new ProcessHarnesses.Provider(servers)),
        EXTERNAL, UnblockedDataServers.of(new ExternalHarnesses.Provider(servers)),
        EMBEDDED, UnblockedDataServers.of(new EmbeddedEnvironmentFactory.Provider(options)));
  }

  /**
   * Why the environments {@code pipeline}'s transforms run in cannot be started; empty if all can.
   */
  static List<String> problems(RunnerApi.Pipeline pipeline, List<String> allowedProcessCommands) {
    List<String> problems = new ArrayList<>();
    Map<String, RunnerApi.Environment> environments = pipeline.getComponents().getEnvironmentsMap();
    java.util.Set<String> used = new java.util.TreeSet<>();
    for (RunnerApi.PTransform transform : pipeline.getComponents().getTransformsMap().values()) {
      if (!transform.getEnvironmentId().isEmpty()) {
        used.add(transform.getEnvironmentId());
      }
    }
    for (String id : used) {
      RunnerApi.Environment environment = environments.get(id);
      if (environment == null) {
        problems.add(
            "environment " + id + " is used by a transform but not defined in the pipeline");
        continue;
      }
      String urn = environment.getUrn();
      if (urn.equals(DOCKER)) {
        problems.add(
            "environment "
                + id
                + " is DOCKER, which needs a Docker engine; Millrace runs SDK harnesses as "
                + "LOOPBACK/EXTERNAL (--environment_type=LOOPBACK, or EXTERNAL with a worker pool address), "
                + "PROCESS (a command this server allows) or EMBEDDED (the Java harness in the server); or start the"
                + " server with --image-commands="
                + ImageCommands.image(environment)
                + "=<boot command> to run this"
                + " image's harness as a process");
      } else if (urn.equals(PROCESS)) {
        String command = processCommand(environment);
        if (!allowedProcessCommands.contains(command)) {
          problems.add(
              "environment "
                  + id
                  + " is PROCESS with command '"
                  + command
                  + "', which this server does not allow"
                  + " (start it with --allowed-process-commands="
                  + command
                  + " to allow it)");
        }
      } else if (!urn.equals(EXTERNAL) && !urn.equals(EMBEDDED)) {
        problems.add("environment " + id + " has type " + urn + ", which Millrace cannot start");
      }
    }
    return problems;
  }

  /**
   * Which SDK {@code pipeline} was written with and where its harnesses run, for the jobs page: the
   * SDK from the base image its environments name (a capability every SDK declares, or a DOCKER
   * payload), the environments by type.
   */
  static JobOrigin origin(RunnerApi.Pipeline pipeline) {
    java.util.Set<String> sdks = new java.util.TreeSet<>();
    java.util.Set<String> types = new java.util.TreeSet<>();
    for (RunnerApi.Environment environment :
        pipeline.getComponents().getEnvironmentsMap().values()) {
      String urn = environment.getUrn();
      types.add(
          urn.equals(EMBEDDED)
              ? "EMBEDDED"
              : urn.equals(PROCESS) ? "PROCESS" : urn.equals(EXTERNAL) ? "EXTERNAL" : urn);
      String image = "";
      for (String capability : environment.getCapabilitiesList()) {
        if (capability.startsWith("beam:version:sdk_base:")) {
          image = capability.substring("beam:version:sdk_base:".length());
        }
      }
      if (image.isEmpty() && urn.equals(DOCKER)) {
        image = ImageCommands.image(environment);
      }
      String sdk = sdkOfImage(image);
      if (sdk == null && urn.equals(EMBEDDED)) {
        sdk = "java";
      }
      if (sdk != null) {
        sdks.add(sdk);
      }
    }
    return new JobOrigin(
        sdks.isEmpty() ? "unknown" : String.join("+", sdks),
        types.isEmpty() ? "none" : String.join("+", types));
  }

  /** "apache/beam_python3.11_sdk:2.62.0" is python; null when the image says no SDK. */
  static String sdkOfImage(String image) {
    for (String sdk : List.of("python", "go", "java", "typescript")) {
      if (image.contains("beam_" + sdk)) {
        return sdk;
      }
    }
    return null;
  }

  private static String processCommand(RunnerApi.Environment environment) {
    try {
      return RunnerApi.ProcessPayload.parseFrom(environment.getPayload()).getCommand();
    } catch (InvalidProtocolBufferException e) {
      return "<unreadable PROCESS payload: " + e.getMessage() + ">";
    }
  }
}
