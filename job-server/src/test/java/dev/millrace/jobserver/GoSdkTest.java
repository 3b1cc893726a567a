package dev.millrace.jobserver;

import static dev.millrace.jobserver.SdkProcesses.BIN;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import dev.millrace.jobserver.SdkProcesses.Run;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Go SDK's wordcount example (github.com/apache/beam/sdks/v2 v2.62.0, built by the build)
 * submitted to the job server as a Go user runs it: LOOPBACK (the harness in the submitting
 * binary); EXTERNAL, a worker pool of Millrace's Go boot ({@code go-boot --worker_pool}, built by
 * the build from build-support/go/goboot); and PROCESS. The Go SDK of 2.62 refuses PROCESS itself
 * ("unsupported environment beam:env:process:v1"), so the job server runs its DOCKER environment as
 * a process instead ({@code --image-commands}), the boot fetching the staged binary as Beam's
 * container would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GoSdkTest {
  private static final long GO_TIMEOUT_SECONDS = 200;

  private final Path wordcount = BIN.resolve("go-wordcount");
  private final Path boot = BIN.resolve("go-boot");
  private MillraceJobServerDriver server;
  private String endpoint;
  private Process pool;
  private String poolAddress;

  @TempDir Path work;

  @BeforeAll
  void startServerAndWorkerPool() throws Exception {
    SdkProcesses.requireFile(boot, "Maven builds it before the tests (build-support/go-tools.sh)");
    server =
        MillraceJobServerDriver.onFreeLoopbackPorts("--image-commands=apache/beam_go_sdk=" + boot);
    endpoint = server.start();
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    pool =
        SdkProcesses.withBuildTmp(
                new ProcessBuilder(boot.toString(), "--worker_pool", "--service_port=" + port))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    poolAddress = "localhost:" + port;
  }

  @AfterAll
  void stop() throws InterruptedException {
    if (pool != null) {
      pool.destroy();
      if (!pool.waitFor(15, TimeUnit.SECONDS)) {
        pool.destroyForcibly();
      }
    }
    if (server != null) {
      server.stop();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"LOOPBACK", "EXTERNAL", "PROCESS"})
  void goWordCountExample(String environment) throws Exception {
    SdkProcesses.requireFile(
        wordcount, "Maven builds it before the tests (build-support/go-tools.sh)");
    Path input = work.resolve("input-" + environment + ".txt");
    Files.writeString(input, SdkProcesses.WORDCOUNT_INPUT);
    List<String> command =
        new ArrayList<>(
            List.of(
                wordcount.toString(),
                "--input=" + input,
                "--output=" + work.resolve("counts-" + environment),
                "--runner=universal",
                "--endpoint=" + endpoint));
    switch (environment) {
      case "LOOPBACK" -> command.add("--environment_type=LOOPBACK");
      case "EXTERNAL" ->
          command.addAll(
              List.of("--environment_type=EXTERNAL", "--environment_config=" + poolAddress));
      // The SDK's default: DOCKER, of its own image, which the server runs as a process of go-boot.
      case "PROCESS" -> command.add("--environment_type=DOCKER");
      default -> throw new IllegalArgumentException(environment);
    }
    if (!environment.equals("LOOPBACK")) {
      // Outside LOOPBACK the Go SDK stages the pipeline's binary; told nothing, it would try to
      // rebuild it from source.
      command.add("--worker_binary=" + wordcount);
    }
    Run run = SdkProcesses.run(command, GO_TIMEOUT_SECONDS);
    assertThat(run.log(), run.exitCode(), is(0));
    assertThat(
        SdkProcesses.wordCounts(work, "counts-" + environment),
        equalTo(SdkProcesses.WORDCOUNT_COUNTS));
  }
}
