package dev.millrace.jobserver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.InvalidProtocolBufferException;

/**
 * {@code --image-commands}: DOCKER environments whose container image starts with a given prefix
 * run as PROCESS environments with a given command instead, on this machine (which has no Docker
 * engine to run the image). An SDK whose client cannot ask for PROCESS (the Go SDK 2.62 refuses it)
 * or a pipeline written for containers runs this way unchanged; the command is what the image would
 * have run, a boot program that fetches the job's artifacts and starts the SDK's harness. The
 * commands named here are allowed as if listed in {@code --allowed-process-commands}.
 */
final class ImageCommands {
  private final Map<String, String> commandsByImagePrefix;

  private ImageCommands(Map<String, String> commandsByImagePrefix) {
    this.commandsByImagePrefix = commandsByImagePrefix;
  }

  static ImageCommands none() {
    return new ImageCommands(Map.of());
  }

  /** Parses {@code image-prefix=command[,image-prefix=command...]}; blank means none. */
  static ImageCommands parse(String option) {
    Map<String, String> commands = new LinkedHashMap<>();
    for (String pair : option.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int equals = pair.indexOf('=');
      if (equals <= 0 || equals == pair.length() - 1) {
        throw new IllegalArgumentException(
            "--image-commands takes IMAGE_PREFIX=COMMAND pairs separated by commas, got '"
                + pair.trim()
                + "'");
      }
      commands.put(pair.substring(0, equals).trim(), pair.substring(equals + 1).trim());
    }
    return new ImageCommands(
        java.util.Collections.unmodifiableMap(
            commands)); // in order: the first prefix that matches wins
  }

  /** The commands images are mapped to: PROCESS environments may run them. */
  List<String> commands() {
    return new ArrayList<>(commandsByImagePrefix.values());
  }

  /** {@code pipeline} with each DOCKER environment of a mapped image turned into a PROCESS one. */
  RunnerApi.Pipeline apply(RunnerApi.Pipeline pipeline) {
    if (commandsByImagePrefix.isEmpty()) {
      return pipeline;
    }
    RunnerApi.Pipeline.Builder rewritten = pipeline.toBuilder();
    for (Map.Entry<String, RunnerApi.Environment> entry :
        pipeline.getComponents().getEnvironmentsMap().entrySet()) {
      RunnerApi.Environment environment = entry.getValue();
      if (!environment.getUrn().equals(SdkEnvironments.DOCKER)) {
        continue;
      }
      String command = commandFor(image(environment));
      if (command != null) {
        rewritten
            .getComponentsBuilder()
            .putEnvironments(
                entry.getKey(),
                environment.toBuilder()
                    .setUrn(SdkEnvironments.PROCESS)
                    .setPayload(
                        RunnerApi.ProcessPayload.newBuilder()
                            .setCommand(command)
                            .build()
                            .toByteString())
                    .build());
      }
    }
    return rewritten.build();
  }

  private String commandFor(String image) {
    for (Map.Entry<String, String> mapping : commandsByImagePrefix.entrySet()) {
      if (image.startsWith(mapping.getKey())) {
        return mapping.getValue();
      }
    }
    return null;
  }

  static String image(RunnerApi.Environment docker) {
    try {
      return RunnerApi.DockerPayload.parseFrom(docker.getPayload()).getContainerImage();
    } catch (InvalidProtocolBufferException e) {
      return "";
    }
  }
}
