package dev.millrace.jobserver;

import static dev.millrace.jobserver.SdkProcesses.BIN;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.jobserver.SdkProcesses.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Go SDK's wordcount example (github.com/apache/beam/sdks/v2 v2.62.0, built by the build)
 * submitted to the job server as a Go user runs it, in LOOPBACK (the harness in the submitting
 * binary). Not here: PROCESS, which the Go SDK of 2.62 refuses itself before it submits anything
 * ("unsupported environment beam:env:process:v1"), and EXTERNAL through Beam's Go boot program,
 * which copies the pipeline binary to /bin/worker (a container's layout: two harnesses on one
 * host overwrite each other's running binary).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GoSdkTest {
  private static final long GO_TIMEOUT_SECONDS = 200;

  private final Path wordcount = BIN.resolve("go-wordcount");
  private MillraceJobServerDriver server;
  private String endpoint;

  @TempDir Path work;

  @BeforeAll
  void startServer() throws Exception {
    server = MillraceJobServerDriver.onFreeLoopbackPorts();
    endpoint = server.start();
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void goWordCountExampleInLoopback() throws Exception {
    String environment = "LOOPBACK";
    SdkProcesses.requireFile(wordcount, "Maven builds it before the tests (build-support/go-tools.sh)");
    Path input = work.resolve("input-" + environment + ".txt");
    Files.writeString(input, SdkProcesses.WORDCOUNT_INPUT);
    List<String> command =
        List.of(
                wordcount.toString(),
                "--input=" + input, "--output=" + work.resolve("counts-" + environment),
                "--runner=universal", "--endpoint=" + endpoint,
                "--environment_type=" + environment);
    Run run = SdkProcesses.run(command, GO_TIMEOUT_SECONDS);
    assertThat(run.log(), run.exitCode(), is(0));
    assertThat(SdkProcesses.wordCounts(work, "counts-" + environment), equalTo(SdkProcesses.WORDCOUNT_COUNTS));
  }
}
