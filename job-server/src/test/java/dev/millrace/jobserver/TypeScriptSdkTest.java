package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.beam.model.jobmanagement.v1.JobApi.JobState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pipelines of Beam's TypeScript SDK ({@code src/test/typescript}) submitted to the job server by
 * {@code node}, their user code in TypeScript harnesses: the submitting process (LOOPBACK), a
 * worker pool this test runs (EXTERNAL), or a command the server starts (PROCESS). Each pipeline
 * writes its results to a file; the test compares them exactly, and checks the job's state, its
 * error message and its user metrics as the SDK reads them from the job server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TypeScriptSdkTest {
  private static final long NODE_TIMEOUT_SECONDS = 150;

  private final Path project =
      Path.of(System.getProperty("typescript.dir", "src/test/typescript")).toAbsolutePath();
  private final Path processCommand = project.resolve("process-worker.sh");
  private MillraceJobServerDriver server;
  private String endpoint;
  private Process workerPool;
  private String workerPoolAddress;

  @TempDir Path outputs;

  @BeforeAll
  void startServerAndWorkerPool() throws Exception {
    if (!Files.isRegularFile(project.resolve("dist/run_pipeline.js"))) {
      throw new IllegalStateException(
          project
              + "/dist is missing: Maven builds it with npm before the tests (Node.js and npm are needed)");
    }
    server =
        MillraceJobServerDriver.onFreeLoopbackPorts("--allowed-process-commands=" + processCommand);
    endpoint = server.start();
    workerPool = node("dist/worker_pool.js").start();
    BufferedReader out =
        new BufferedReader(
            new InputStreamReader(workerPool.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !line.startsWith("worker pool at ")) {
      // the pool's start-up chatter
    }
    if (line == null) {
      throw new IllegalStateException("the EXTERNAL worker pool ended before it listened");
    }
    workerPoolAddress = line.substring("worker pool at ".length()).trim();
    // Whatever else it prints must not fill the pipe and stall it.
    Thread drain = new Thread(() -> out.lines().forEach(l -> {}), "worker-pool-output");
    drain.setDaemon(true);
    drain.start();
  }

  @AfterAll
  void stop() {
    if (workerPool != null) {
      workerPool.destroyForcibly();
    }
    if (server != null) {
      server.stop();
    }
  }

  static Stream<Arguments> environments() {
    return Stream.of(Arguments.of("LOOPBACK"), Arguments.of("EXTERNAL"), Arguments.of("PROCESS"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("environments")
  void wordCount(String environment) throws Exception {
    Run run = run("wordCount", environment);
    assertThat(run.state, is("DONE"));
    assertThat(
        run.lines,
        containsInAnyOrder(
            "{\"element\":\"the\",\"count\":3}",
            "{\"element\":\"cat\",\"count\":1}",
            "{\"element\":\"sat\",\"count\":2}",
            "{\"element\":\"on\",\"count\":1}",
            "{\"element\":\"mat\",\"count\":1}",
            "{\"element\":\"dog\",\"count\":1}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("environments")
  void windowedGroupByKey(String environment) throws Exception {
    Run run = run("windowedGroupByKey", environment);
    assertThat(run.state, is("DONE"));
    assertThat(
        run.lines,
        containsInAnyOrder(
            "{\"key\":\"a\",\"windowEnd\":10000,\"values\":[1,2]}",
            "{\"key\":\"b\",\"windowEnd\":10000,\"values\":[3]}",
            "{\"key\":\"a\",\"windowEnd\":20000,\"values\":[4]}",
            "{\"key\":\"b\",\"windowEnd\":20000,\"values\":[5]}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("environments")
  void sideInput(String environment) throws Exception {
    Run run = run("sideInput", environment);
    assertThat(run.state, is("DONE"));
    assertThat(
        run.lines,
        containsInAnyOrder(
            "{\"n\":1,\"plus\":101}", "{\"n\":2,\"plus\":102}", "{\"n\":3,\"plus\":103}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("environments")
  void combinePerKey(String environment) throws Exception {
    Run run = run("combinePerKey", environment);
    assertThat(run.state, is("DONE"));
    assertThat(
        run.lines,
        containsInAnyOrder(
            "{\"shop\":\"north\",\"total\":16,\"largest\":11}",
            "{\"shop\":\"south\",\"total\":8,\"largest\":7}",
            "{\"shop\":\"east\",\"total\":4,\"largest\":4}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("environments")
  void failingDoFnFailsTheJobWithItsMessage(String environment) throws Exception {
    Run run = run("failingDoFn", environment);
    assertThat(run.state, is("FAILED"));
    try (JobServiceClient jobs = new JobServiceClient(endpoint)) {
      assertThat(
          jobs.messages(run.jobId), containsString("millrace-e2e: the DoFn refuses element 2"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("environments")
  void userMetricsReachGetJobMetrics(String environment) throws Exception {
    Run run = run("userMetrics", environment);
    assertThat(run.state, is("DONE"));
    assertThat(run.lines.size(), is(4));
    assertThat(run.result.get("counters"), equalTo(Map.of("counted", 4)));
    assertThat(
        run.result.get("distributions"),
        equalTo(Map.of("sizes", Map.of("count", 4, "sum", 10, "min", 1, "max", 4))));
  }

  @Test
  void severalJobsRunAtOnce() throws Exception {
    List<Process> running = new ArrayList<>();
    List<String> pipelines = List.of("wordCount", "sideInput", "combinePerKey");
    List<String> environments = List.of("LOOPBACK", "EXTERNAL", "PROCESS");
    for (int i = 0; i < pipelines.size(); i++) {
      running.add(start(pipelines.get(i), environments.get(i), "together-" + i));
    }
    List<Integer> lines = new ArrayList<>();
    for (int i = 0; i < pipelines.size(); i++) {
      Run run = finish(running.get(i), pipelines.get(i), environments.get(i));
      assertThat(pipelines.get(i) + " in " + environments.get(i), run.state, is("DONE"));
      lines.add(run.lines.size());
    }
    assertThat(lines, equalTo(List.of(6, 3, 3)));
  }

  @Test
  void aClientThatGoesAwayFailsItsJobAndNothingElse() throws Exception {
    String jobName = "goes-away-" + UUID.randomUUID();
    Process client = start("slow", "LOOPBACK", jobName);
    try (JobServiceClient jobs = new JobServiceClient(endpoint)) {
      String jobId = jobs.awaitRunning(jobName, 60);
      // The LOOPBACK harness lives in the client: killing it takes the harness with it.
      client.destroyForcibly().waitFor();
      assertThat(jobs.awaitEnd(jobId, 90), is(JobState.Enum.FAILED));
    } finally {
      client.destroyForcibly();
    }
    assertThat("a job after it", run("wordCount", "LOOPBACK").state, is("DONE"));
  }

  /** What a finished pipeline left: its job's state and id, what node printed, the output file. */
  private record Run(String state, String jobId, Map<String, Object> result, List<String> lines) {}

  private Run run(String pipeline, String environment) throws Exception {
    return finish(
        start(pipeline, environment, pipeline + "-" + environment), pipeline, environment);
  }

  private Path outputOf(String pipeline, String environment) {
    return outputs.resolve(pipeline + "-" + environment + ".jsonl");
  }

  private Path logOf(String pipeline, String environment) {
    return outputs.resolve(pipeline + "-" + environment + ".log");
  }

  /** Starts node submitting {@code pipeline} in {@code environment}. */
  private Process start(String pipeline, String environment, String jobName) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("dist/run_pipeline.js");
    command.add("--endpoint=" + endpoint);
    command.add("--pipeline=" + pipeline);
    command.add("--output=" + outputOf(pipeline, environment));
    command.add("--environment=" + environment);
    command.add("--job_name=" + jobName);
    if (environment.equals("EXTERNAL")) {
      command.add("--worker_pool=" + workerPoolAddress);
    } else if (environment.equals("PROCESS")) {
      command.add("--command=" + processCommand);
    }
    return node(command.toArray(new String[0]))
        .redirectOutput(logOf(pipeline, environment).toFile())
        .start();
  }

  /** Waits for node to finish; what it printed last is the job's result. */
  private Run finish(Process process, String pipeline, String environment) throws Exception {
    Path log = logOf(pipeline, environment);
    try {
      if (!process.waitFor(NODE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError(
            "node did not finish "
                + pipeline
                + " in "
                + NODE_TIMEOUT_SECONDS
                + " s:\n"
                + Files.readString(log));
      }
    } finally {
      process.destroyForcibly();
    }
    List<String> printed = Files.readAllLines(log);
    String last = printed.isEmpty() ? "" : printed.get(printed.size() - 1);
    if (process.exitValue() != 0 || !last.startsWith("{")) {
      throw new AssertionError(
          "node failed to run "
              + pipeline
              + " (exit "
              + process.exitValue()
              + "):\n"
              + String.join("\n", printed));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> result = new ObjectMapper().readValue(last, Map.class);
    Path output = outputOf(pipeline, environment);
    List<String> lines = Files.exists(output) ? Files.readAllLines(output) : List.of();
    return new Run((String) result.get("state"), (String) result.get("jobId"), result, lines);
  }

  private ProcessBuilder node(String... arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("node");
    command.addAll(List.of(arguments));
    return SdkProcesses.withBuildTmp(new ProcessBuilder(command))
        .directory(project.toFile())
        .redirectErrorStream(true);
  }
}
