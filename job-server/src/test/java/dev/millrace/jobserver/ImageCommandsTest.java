package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.junit.jupiter.api.Test;

class ImageCommandsTest {

  private static RunnerApi.Environment docker(String image) {
    return RunnerApi.Environment.newBuilder()
        .setUrn(SdkEnvironments.DOCKER)
        .setPayload(
            RunnerApi.DockerPayload.newBuilder().setContainerImage(image).build().toByteString())
        .addCapabilities("beam:coder:bytes:v1")
        .build();
  }

  private static RunnerApi.Pipeline pipelineWith(RunnerApi.Environment... environments) {
    RunnerApi.Components.Builder components = RunnerApi.Components.newBuilder();
    for (int i = 0; i < environments.length; i++) {
      components.putEnvironments("env" + i, environments[i]);
    }
    return RunnerApi.Pipeline.newBuilder().setComponents(components).build();
  }

  @Test
  void aDockerEnvironmentOfAMappedImageBecomesAProcessKeepingItsCapabilities() throws Exception {
    ImageCommands commands =
        ImageCommands.parse("apache/beam_go_sdk=/opt/go-boot, apache/beam_python=/opt/py.sh");
    RunnerApi.Pipeline rewritten =
        commands.apply(pipelineWith(docker("apache/beam_go_sdk:2.62.0"), docker("someone/else:1")));

    RunnerApi.Environment go = rewritten.getComponents().getEnvironmentsOrThrow("env0");
    assertThat(go.getUrn(), equalTo(SdkEnvironments.PROCESS));
    assertThat(
        RunnerApi.ProcessPayload.parseFrom(go.getPayload()).getCommand(), equalTo("/opt/go-boot"));
    assertThat(go.getCapabilitiesList(), equalTo(List.of("beam:coder:bytes:v1")));
    RunnerApi.Environment other = rewritten.getComponents().getEnvironmentsOrThrow("env1");
    assertThat(other, equalTo(docker("someone/else:1")));
    assertThat(commands.commands(), equalTo(List.of("/opt/go-boot", "/opt/py.sh")));
  }

  @Test
  void theMappedCommandsAreAllowedAndAnUnmappedDockerImageIsRefusedNamingTheOption() {
    MillraceServerConfiguration configuration = new MillraceServerConfiguration();
    org.kohsuke.args4j.CmdLineParser parser = new org.kohsuke.args4j.CmdLineParser(configuration);
    assertThat(
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(
            () -> {
              parser.parseArgument(
                  "--image-commands=apache/beam_go_sdk=/opt/go-boot",
                  "--allowed-process-commands=/a");
              return true;
            }),
        is(true));
    assertThat(configuration.allowedProcessCommands(), equalTo(List.of("/a", "/opt/go-boot")));

    List<String> problems =
        SdkEnvironments.problems(
            pipelineUsing(docker("apache/beam_java17_sdk:2.62.0")),
            configuration.allowedProcessCommands());
    assertThat(
        problems.toString(),
        containsString("--image-commands=apache/beam_java17_sdk:2.62.0=<boot command>"));
  }

  @Test
  void aMalformedPairIsAClearError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ImageCommands.parse("apache/beam_go_sdk"));
    assertThat(e.getMessage(), containsString("IMAGE_PREFIX=COMMAND"));
  }

  private static RunnerApi.Pipeline pipelineUsing(RunnerApi.Environment environment) {
    return pipelineWith(environment).toBuilder()
        .setComponents(
            pipelineWith(environment).getComponents().toBuilder()
                .putTransforms(
                    "t", RunnerApi.PTransform.newBuilder().setEnvironmentId("env0").build()))
        .build();
  }
}
