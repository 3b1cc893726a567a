package dev.millrace.jobserver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The programs of other SDKs the job server's tests start, as their users would: a pipeline's
 * submitting process (its whole output kept for the assertions), and Beam's Python worker pool,
 * which runs each harness the server asks for through a boot program (EXTERNAL environments). The
 * build makes them in {@code target/sdks} beside the root (see build-support/).
 */
final class SdkProcesses {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path PYTHON =
      Path.of(
          System.getProperty("python.venv", ROOT.resolve("target/sdks/python-venv").toString()),
          "bin",
          "python");
  static final Path BIN = ROOT.resolve("target/sdks/bin");
  static final Path PYTHON_HARNESS = ROOT.resolve("build-support/python-harness.sh");

  /**
   * TMPDIR of the SDK processes the tests start: the SDKs leave temporary directories behind
   * (Beam's LOOPBACK workers, Go's builds), which belong in the build tree, not in /tmp.
   */
  static final Path SDK_TMP = ROOT.resolve("job-server/target/sdk-tmp");

  private SdkProcesses() {}

  /** What a finished process printed (standard output and error together) and its exit code. */
  record Run(int exitCode, String log) {}

  static Run run(List<String> command, long timeoutSeconds) throws Exception {
    Process process = withBuildTmp(new ProcessBuilder(command).redirectErrorStream(true)).start();
    StringBuilder log = new StringBuilder();
    Thread reader = new Thread(() -> readAll(process, log), "sdk-process-output");
    reader.start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      // Python dumps every thread's traceback on SIGABRT (PYTHONFAULTHANDLER): where it waits.
      new ProcessBuilder("kill", "-ABRT", Long.toString(process.pid())).start().waitFor();
      process.waitFor(5, TimeUnit.SECONDS);
      process.destroyForcibly();
      reader.join(5000);
      throw new AssertionError(
          command.get(0)
              + " did not finish in "
              + timeoutSeconds
              + " s:\n"
              + log
              + "\nThis JVM's job threads then:\n"
              + jobThreads());
    }
    reader.join(5000);
    return new Run(process.exitValue(), log.toString());
  }

  /**
   * Beam's Python worker pool on a free loopback port, starting each harness with {@code boot}
   * (Beam's boot program, or a script around it), as a user runs one for EXTERNAL environments.
   */
  static WorkerPool workerPool(Path boot) throws IOException {
    requireFile(PYTHON, "Maven makes the Python environment before the tests");
    requireFile(
        boot, "Maven builds the boot programs before the tests (build-support/go-tools.sh)");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path directory =
        Files.createTempDirectory(Files.createDirectories(SDK_TMP), "millrace-worker-pool");
    ProcessBuilder pool =
        new ProcessBuilder(
                PYTHON.toString(),
                "-m",
                "apache_beam.runners.worker.worker_pool_main",
                "--service_port=" + port,
                "--container_executable=" + boot)
            .redirectErrorStream(true)
            // Go's boot writes pipeline_options.json where it runs: not into the source tree.
            .directory(directory.toFile());
    Process process = withBuildTmp(pool).start();
    Thread drain = new Thread(() -> readAll(process, new StringBuilder()), "worker-pool-output");
    drain.setDaemon(true);
    drain.start();
    return new WorkerPool(process, "localhost:" + port, directory);
  }

  /** {@code builder}, its process's temporary files in {@link #SDK_TMP}. */
  static ProcessBuilder withBuildTmp(ProcessBuilder builder) throws IOException {
    builder.environment().put("TMPDIR", Files.createDirectories(SDK_TMP).toString());
    builder.environment().put("PYTHONFAULTHANDLER", "1");
    return builder;
  }

  /** The stacks of this JVM's threads that run jobs or serve the SDKs (the job server's side). */
  private static String jobThreads() {
    StringBuilder dump = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (thread, frames) -> {
              String name = thread.getName();
              if (name.startsWith("millrace") || name.startsWith("grpc")) {
                dump.append('"').append(name).append("\" ").append(thread.getState());
                for (StackTraceElement frame : frames) {
                  dump.append("\n\tat ").append(frame);
                }
                dump.append('\n');
              }
            });
    return dump.toString();
  }

  /** A running worker pool, the address pipelines name it by, and the directory it runs in. */
  record WorkerPool(Process process, String address, Path directory) implements AutoCloseable {
    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.walk(directory)) {
          for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(file);
          }
        }
      } catch (IOException | InterruptedException e) {
        // A leftover temporary directory is all this loses.
      }
    }
  }

  /** The input both SDKs' wordcount examples get, and the counts they must write for it. */
  static final String WORDCOUNT_INPUT = "the cat sat on the mat\nthe dog sat\n";

  static final Map<String, String> WORDCOUNT_COUNTS =
      new TreeMap<>(Map.of("the", "3", "cat", "1", "sat", "2", "on", "1", "mat", "1", "dog", "1"));

  /**
   * The "word: count" lines of every file in {@code directory} whose name starts with {@code
   * prefix} (a wordcount example's output shards), by word.
   */
  static Map<String, String> wordCounts(Path directory, String prefix) throws IOException {
    Map<String, String> counts = new TreeMap<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
        for (String line : Files.readAllLines(file)) {
          String[] wordAndCount = line.split(": ");
          counts.put(wordAndCount[0], wordAndCount[1]);
        }
      }
    }
    return counts;
  }

  static void requireFile(Path file, String howItIsMade) {
    if (!Files.isExecutable(file)) {
      throw new IllegalStateException(file + " is missing: " + howItIsMade);
    }
  }

  private static void readAll(Process process, StringBuilder into) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      in.lines()
          .forEach(
              line -> {
                synchronized (into) {
                  into.append(line).append('\n');
                }
              });
    } catch (IOException e) {
      // the process went; its exit code tells
    }
  }
}
