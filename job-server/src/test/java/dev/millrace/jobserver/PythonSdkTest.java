package dev.millrace.jobserver;

import static dev.millrace.jobserver.SdkProcesses.PYTHON;
import static dev.millrace.jobserver.SdkProcesses.PYTHON_HARNESS;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.jobserver.SdkProcesses.Run;
import dev.millrace.jobserver.SdkProcesses.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.beam.model.jobmanagement.v1.JobApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pipelines of Beam's Python SDK (apache-beam 2.62.0, in the build's Python environment) submitted
 * to the job server with Beam's {@code PortableRunner}, as a Python user runs them: Beam's own
 * wordcount example in LOOPBACK (the harness in the submitting process), EXTERNAL (Beam's worker
 * pool, starting harnesses through Beam's boot program) and PROCESS (the server starts the boot
 * program, an allowed command), and pipelines of {@code src/test/python} that check what the engine
 * does with Python's own coders and how a failing DoFn reaches the user.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PythonSdkTest {
  private static final long PYTHON_TIMEOUT_SECONDS = 200;

  private final Path pipelines = Path.of("src/test/python/pipelines.py").toAbsolutePath();
  private MillraceJobServerDriver server;
  private String endpoint;
  private WorkerPool workerPool;

  @TempDir Path work;

  @BeforeAll
  void startServerAndWorkerPool() throws Exception {
    server =
        MillraceJobServerDriver.onFreeLoopbackPorts("--allowed-process-commands=" + PYTHON_HARNESS);
    endpoint = server.start();
    workerPool = SdkProcesses.workerPool(PYTHON_HARNESS);
  }

  @AfterAll
  void stop() {
    if (workerPool != null) {
      workerPool.close();
    }
    if (server != null) {
      server.stop();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"LOOPBACK", "EXTERNAL", "PROCESS"})
  void beamsWordCountExample(String environment) throws Exception {
    Path input = work.resolve("input-" + environment + ".txt");
    Files.writeString(input, SdkProcesses.WORDCOUNT_INPUT);
    List<String> args =
        new ArrayList<>(
            List.of(
                "-m",
                "apache_beam.examples.wordcount",
                "--input=" + input,
                "--output=" + work.resolve("counts-" + environment),
                "--runner=PortableRunner",
                "--job_endpoint=" + endpoint,
                "--environment_type=" + environment));
    switch (environment) {
      case "EXTERNAL" -> args.add("--environment_config=" + workerPool.address());
      case "PROCESS" -> args.add("--environment_config={\"command\":\"" + PYTHON_HARNESS + "\"}");
      default -> {}
    }
    Run run = python(args);
    assertThat(run.log(), run.exitCode(), is(0));
    assertThat(
        SdkProcesses.wordCounts(work, "counts-" + environment),
        equalTo(SdkProcesses.WORDCOUNT_COUNTS));
  }

  @Test
  void windowedCombineWithPythonCoders() throws Exception {
    assertThat(
        pipeline("windowed_sum"),
        containsInAnyOrder("[\"a\", 3, 10]", "[\"a\", 4, 20]", "[\"b\", 3, 20]"));
  }

  @Test
  void testStreamOfElementsOnlyPythonCanDecode() throws Exception {
    assertThat(pipeline("test_stream_of_any"), containsInAnyOrder("\"A\"", "\"B\"", "\"C\""));
  }

  @Test
  void millraceOptionsFromThePythonCommandLineTakeEffect() throws Exception {
    // The server describes Millrace's options, so the SDK accepts --max_bundle_elements and
    // passes it on; without it, it would drop the flag with a warning.
    assertThat(
        "bundles of more than one element by default",
        largest(pipeline("largest_bundle")) > 1,
        is(true));
    assertThat(largest(pipeline("largest_bundle", "--max_bundle_elements=1")), is(1));
  }

  @Test
  void sdkWorkerParallelismPlacesSubtasksOnSeveralHarnessProcesses() throws Exception {
    // The harness processes write the output file themselves: they need this module's functions.
    String[] process = {
      "--environment_type=PROCESS",
      "--environment_config={\"command\":\"" + PYTHON_HARNESS + "\"}",
      "--save_main_session",
      "--parallelism=2"
    };
    List<String> oneHarness = pipeline("harness_pids", process);
    assertThat(oneHarness, hasSize(1));
    String[] twoProcesses = Arrays.copyOf(process, process.length + 1);
    twoProcesses[process.length] = "--sdk_worker_parallelism=2";
    List<String> twoHarnesses = pipeline("harness_pids", twoProcesses);
    assertThat(twoHarnesses, hasSize(2));
  }

  @Test
  void streamingStateAndTimersCheckpointedInRocksDb() throws Exception {
    Path checkpoints = work.resolve("checkpoints");
    List<String> countsPerWindow =
        pipeline(
            "streaming_state_and_timers",
            "--streaming",
            "--state_backend=ROCKSDB",
            "--checkpointing_interval=500",
            "--checkpoint_dir=" + checkpoints);
    // Every tick counted once, in the window it belongs to, by the timers at the windows' ends.
    assertThat(countsPerWindow.stream().mapToInt(Integer::parseInt).sum(), is(40));
    // Subtasks make the directory when they write their first snapshot; the job's own checkpoints
    // in it are deleted once it has ended DONE.
    assertThat(
        "checkpoints written under " + checkpoints, Files.isDirectory(checkpoints), is(true));
  }

  @Test
  void anEndlessStreamIsCancelledCleanly() throws Exception {
    assertThat(pipeline("endless_then_cancelled", "--streaming"), contains("CANCELLED"));
  }

  @Test
  void aFailingDoFnFailsTheJobWithItsTracebackAndItsTransformsName() throws Exception {
    Run run = python(pipelineCommand("failing_stage", work.resolve("unused")));
    assertThat(run.exitCode(), not(is(0)));
    assertThat(run.log(), containsString("failed in state FAILED"));
    assertThat(run.log(), containsString("Traceback (most recent call last)"));
    assertThat(run.log(), containsString("ValueError: deliberate failure on"));
    assertThat(run.log(), containsString("[while running 'StageFails']"));
    // The server goes on serving: the next job runs.
    assertThat(pipeline("windowed_sum").size(), is(3));
  }

  @Test
  void aDoFnTheHarnessCannotUnpickleFailsItsJobWithTheReason() throws Exception {
    // The DoFn's class lives in a module only the submitting process can import; the worker
    // pool's harness runs elsewhere and cannot unpickle it.
    Run run =
        python(
            pipelineCommand(
                "unpicklable_in_harness",
                work.resolve("unused"),
                "--environment_type=EXTERNAL",
                "--environment_config=" + workerPool.address()));
    assertThat(run.exitCode(), not(is(0)));
    assertThat(run.log(), containsString("failed in state FAILED"));
    assertThat(run.log(), containsString("No module named 'millrace_only_in_the_client'"));
    assertThat(pipeline("windowed_sum").size(), is(3));
  }

  @Test
  void aClientKilledMidJobFailsThatJobOnly() throws Exception {
    String jobName = "killed-" + UUID.randomUUID();
    List<String> command = new ArrayList<>();
    command.add(PYTHON.toString());
    command.addAll(
        pipelineCommand("endless", work.resolve("unused"), "--streaming", "--job_name=" + jobName));
    Process client =
        SdkProcesses.withBuildTmp(new ProcessBuilder(command))
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("killed.log").toFile())
            .start();
    try (JobServiceClient jobs = new JobServiceClient(endpoint)) {
      String jobId = jobs.awaitRunning(jobName, 90);
      Thread.sleep(1000); // let it run a little: the kill should come mid-job
      // The LOOPBACK harness lives in the client: killing it takes the harness with it.
      client.destroyForcibly().waitFor();
      assertThat(jobs.awaitEnd(jobId, 90), is(JobApi.JobState.Enum.FAILED));
      // Which error comes first depends on timing (a bundle's stream breaking, the harness's
      // control stream closing, a stage opening later finding the pool gone); one must come.
      assertThat(jobs.messages(jobId), not(is("")));
    } finally {
      client.destroyForcibly();
    }
    assertThat("a job after it", pipeline("windowed_sum").size(), is(3));
  }

  private static int largest(List<String> numbers) {
    return numbers.stream().mapToInt(Integer::parseInt).max().orElseThrow();
  }

  private List<String> pipeline(String name, String... options) throws Exception {
    Path output = Files.createTempFile(work, name, ".out");
    Run run = python(pipelineCommand(name, output, options));
    assertThat(run.log(), run.exitCode(), is(0));
    return Files.readAllLines(output);
  }

  private List<String> pipelineCommand(String name, Path output, String... options) {
    List<String> command =
        new ArrayList<>(
            List.of(
                pipelines.toString(),
                name,
                output.toString(),
                "--runner=PortableRunner",
                "--job_endpoint=" + endpoint,
                "--environment_type=LOOPBACK"));
    command.addAll(List.of(options));
    return command;
  }

  private Run python(List<String> args) throws Exception {
    SdkProcesses.requireFile(PYTHON, "Maven makes the Python environment before the tests");
    List<String> command = new ArrayList<>();
    command.add(PYTHON.toString());
    command.addAll(args);
    return SdkProcesses.run(command, PYTHON_TIMEOUT_SECONDS);
  }
}
