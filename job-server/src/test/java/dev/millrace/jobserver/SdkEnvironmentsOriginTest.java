package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import dev.millrace.runner.monitor.JobOrigin;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.junit.jupiter.api.Test;

/** Which SDK a submitted pipeline comes from, for the jobs page. */
class SdkEnvironmentsOriginTest {

  private static RunnerApi.Pipeline withEnvironments(RunnerApi.Environment... environments) {
    RunnerApi.Components.Builder components = RunnerApi.Components.newBuilder();
    for (int i = 0; i < environments.length; i++) {
      components.putEnvironments("env" + i, environments[i]);
    }
    return RunnerApi.Pipeline.newBuilder().setComponents(components).build();
  }

  private static RunnerApi.Environment environment(String urn, String sdkBase) {
    RunnerApi.Environment.Builder environment = RunnerApi.Environment.newBuilder().setUrn(urn);
    if (sdkBase != null) {
      environment.addCapabilities("beam:version:sdk_base:" + sdkBase);
    }
    return environment.build();
  }

  @Test
  void theSdkComesFromTheBaseImageItsEnvironmentsName() {
    assertThat(
        SdkEnvironments.origin(
            withEnvironments(
                environment(SdkEnvironments.EXTERNAL, "apache/beam_python3.11_sdk:2.62.0"))),
        is(new JobOrigin("python", "EXTERNAL")));
    assertThat(
        SdkEnvironments.origin(
            withEnvironments(environment(SdkEnvironments.PROCESS, "apache/beam_go_sdk:2.62.0"))),
        is(new JobOrigin("go", "PROCESS")));
  }

  @Test
  void aCrossLanguagePipelineNamesEverySdkAndEnvironment() {
    assertThat(
        SdkEnvironments.origin(
            withEnvironments(
                environment(SdkEnvironments.EXTERNAL, "apache/beam_python3.11_sdk:2.62.0"),
                environment(SdkEnvironments.EMBEDDED, null))),
        is(new JobOrigin("java+python", "EMBEDDED+EXTERNAL")));
  }

  @Test
  void anEnvironmentThatNamesNoSdkIsUnknown() {
    assertThat(
        SdkEnvironments.origin(withEnvironments(environment(SdkEnvironments.EXTERNAL, null))),
        is(new JobOrigin("unknown", "EXTERNAL")));
  }
}
