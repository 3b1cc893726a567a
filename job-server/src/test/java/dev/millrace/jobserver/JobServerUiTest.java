package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.portability.PortableRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The job server's web UI ({@code --ui-port}) shows the jobs submitted to it. */
@Timeout(120)
class JobServerUiTest {
  private MillraceJobServerDriver server;
  private String endpoint;

  @BeforeEach
  void start() throws Exception {
    server = MillraceJobServerDriver.onFreeLoopbackPorts();
    endpoint = server.start();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void aSubmittedJobIsListedWithItsSdkEnvironmentAndTheTransformsOfItsStages() throws Exception {
    assertThat("the UI started on a free port", server.uiUrl(), notNullValue());
    Pipeline pipeline =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=" + PortableRunner.class.getName(),
                    "--jobEndpoint=" + endpoint,
                    "--defaultEnvironmentType=EMBEDDED",
                    "--jobName=ui-visible")
                .create());
    pipeline
        .apply(Create.of(1L, 2L, 3L))
        .apply("Double", MapElements.into(TypeDescriptors.longs()).via((Long n) -> 2 * n))
        .apply(Sum.longsGlobally());
    PipelineResult result = pipeline.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));

    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    JsonNode jobs =
        json.readTree(
            http.send(
                    HttpRequest.newBuilder(URI.create(server.uiUrl() + "api/v1/jobs")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    JsonNode ours = null;
    for (JsonNode job : jobs) {
      if (job.get("name").asText().startsWith("ui-visible")) {
        ours = job;
      }
    }
    assertThat("listed: " + jobs, ours, notNullValue());
    assertThat(ours.get("state").asText(), is("DONE"));
    assertThat(ours.get("sdk").asText(), is("java"));
    assertThat(ours.get("environment").asText(), is("EMBEDDED"));
    JsonNode plan =
        json.readTree(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                server.uiUrl()
                                    + "api/v1/jobs/"
                                    + ours.get("id").asText()
                                    + "/plan"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    List<String> transforms = new ArrayList<>();
    for (JsonNode vertex : plan.get("vertices")) {
      vertex.get("transforms").forEach(t -> transforms.add(t.asText()));
    }
    // The user's transform is inside an executable stage, and the stage is listed by its parts.
    assertThat(transforms.toString(), transforms, hasItem("Double/Map/ParMultiDo(Anonymous)"));
  }
}
