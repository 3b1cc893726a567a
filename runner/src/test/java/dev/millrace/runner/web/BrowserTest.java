package dev.millrace.runner.web;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.monitor.MonitoredJobs;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The web UI in a real browser: Debian's Chromium, headless, driven by {@code ui-walk.mjs}
 * (playwright-core from npm, which downloads no browser; the build installs it). It opens the jobs
 * page, clicks into a running streaming job, sees one graph node per vertex and numbers that
 * change, clicks cancel and sees the job end. Screenshots land in {@code target/ui-screenshots}.
 */
@Timeout(150)
class BrowserTest {
  private static final Path BROWSER_DIR = Path.of("src/test/browser");
  private static final Path SHOTS = Path.of("target/ui-screenshots");

  @Test
  void aUserOpensARunningJobSeesItLiveAndCancelsIt() throws Exception {
    String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
    assertThat(
        chromium + " is needed: Debian's chromium package (.ci/run installs it)",
        new File(chromium).canExecute(),
        is(true));
    assertThat(
        "playwright-core is installed by the build (npm ci in " + BROWSER_DIR + ")",
        Files.isDirectory(BROWSER_DIR.resolve("node_modules/playwright-core")),
        is(true));
    Files.createDirectories(SHOTS);
    MillracePipelineResult job = WebUiTest.runStreaming();
    try (WebUi ui = WebUi.start("localhost", 0, null, MonitoredJobs.ofThisJvm())) {
      Process walk =
          new ProcessBuilder(
                  "node",
                  "ui-walk.mjs",
                  ui.url(),
                  job.id(),
                  String.valueOf(job.currentAttempt().plan().vertices().size()),
                  SHOTS.toAbsolutePath().toString())
              .directory(BROWSER_DIR.toFile())
              .redirectError(ProcessBuilder.Redirect.PIPE)
              .start();
      boolean ended = walk.waitFor(120, TimeUnit.SECONDS);
      if (!ended) {
        walk.destroyForcibly();
      }
      String out = new String(walk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(walk.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat("the walk ended in time: " + err, ended, is(true));
      assertThat(err + out, walk.exitValue(), is(0));
      JsonNode seen = new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
      assertThat(seen.get("jobsPageState").asText(), is("RUNNING"));
      assertThat(seen.get("graphVertices").asInt(), is(2));
      assertThat(seen.get("laterIn").asText(), not(seen.get("firstIn").asText()));
      assertThat(seen.get("finalState").asText(), is("CANCELLED"));
      assertThat(seen.get("actionResult").asText(), containsString("cancel accepted"));
      assertThat(seen.get("buttonsDisabled").asBoolean(), is(true));
      assertThat(
          job.waitUntilFinish(Duration.standardSeconds(30)), is(PipelineResult.State.CANCELLED));
      for (String shot : new String[] {"jobs.png", "job.png", "cancelled.png"}) {
        assertThat(shot, Files.size(SHOTS.resolve(shot)) > 10_000, is(true));
      }
    } finally {
      job.cancel();
    }
  }
}
