package dev.millrace.runner.web;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.monitor.MonitoredJobs;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code /metrics} after a real job, and Debian's {@code promtool} over the real scrape. */
@Timeout(120)
class PrometheusScrapeTest {

  @Test
  void aScrapeHasEveryKindOfUserMetricTheEnginesFiguresAndPassesPromtool() throws Exception {
    Pipeline p = WebUiTest.pipeline();
    p.apply(Create.of(LongStream.range(0, 100).boxed().toList()))
        .apply("Observe", ParDo.of(new WebUiTest.Observe()));
    MillracePipelineResult result = (MillracePipelineResult) p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
    try (WebUi ui = WebUi.start("localhost", 0, null, MonitoredJobs.ofThisJvm())) {
      HttpResponse<String> response = new UiClient(ui).get("/metrics");
      assertThat(response.statusCode(), is(200));
      String scrape = response.body();
      String job = "beam_job=\"" + result.id() + "\"";
      String labels =
          job + ",name=\"seen\",namespace=\"test\",ptransform=\"Observe/ParMultiDo(Observe)\"";
      assertThat(scrape, containsString("beam_user_metric_total{" + labels + "} 100.0"));
      String values =
          job + ",name=\"values\",namespace=\"test\",ptransform=\"Observe/ParMultiDo(Observe)\"";
      assertThat(scrape, containsString("beam_user_distribution_count{" + values + "} 100"));
      assertThat(scrape, containsString("beam_user_distribution_sum{" + values + "} 4950.0"));
      assertThat(scrape, containsString("beam_user_distribution_max{" + values + "} 99.0"));
      assertThat(scrape, containsString("beam_user_distribution_min{" + values + "} 0.0"));
      assertThat(scrape, containsString("beam_user_latest_value{" + job + ",name=\"last\""));
      String parities =
          job + ",name=\"parities\",namespace=\"test\",ptransform=\"Observe/ParMultiDo(Observe)\"";
      assertThat(scrape, containsString("beam_user_string_set_size{" + parities + "} 2.0"));
      assertThat("a string set's values are never labels", scrape, not(containsString("\"even\"")));
      assertThat(
          scrape, containsString("millrace_records_in_total{" + job + ",vertex=\"v0\"} 100.0"));
      assertThat(scrape, containsString("millrace_job_info{" + job));
      assertThat(scrape, containsString("jvm_memory_used_bytes"));
      assertThat(promtool(scrape), is(""));
    }
  }

  /** What {@code promtool check metrics} says of {@code scrape}: nothing when all is well. */
  static String promtool(String scrape) throws Exception {
    Process process;
    try {
      process =
          new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      throw new AssertionError(
          "promtool is needed to check the scrape: Debian's prometheus package (.ci/run installs it)",
          e);
    }
    try (OutputStream in = process.getOutputStream()) {
      in.write(scrape.getBytes(StandardCharsets.UTF_8));
    }
    String said = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat("promtool ended", process.waitFor(30, TimeUnit.SECONDS), is(true));
    return process.exitValue() == 0 ? said.trim() : "exit " + process.exitValue() + ": " + said;
  }
}
