package dev.millrace.benchmarks;

import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** The runners a benchmark can compare, by the names the table uses. */
public final class Runners {
  /** Plain Java: the same query logic without Beam, the physical-limit column. */
  public static final String PLAIN = "plain-java";

  public static final List<String> BEAM =
      List.of(
          "millrace",
          "millrace-portable",
          "millrace-rocksdb",
          "millrace-streaming",
          "millrace-streaming-ui",
          "millrace-streaming-chk1s",
          "millrace-streaming-chk10s",
          "millrace-streaming-heap",
          "millrace-streaming-heap-chk1s",
          "direct");

  /**
   * Millrace in the job's own JVM: their jobs get the class path of a Java user of the runner
   * ({@link MillraceClassPath}); the portable column needs the job server, the rest what the suite
   * has.
   */
  public static final List<String> IN_PROCESS_MILLRACE =
      List.of(
          "millrace",
          "millrace-rocksdb",
          "millrace-streaming",
          "millrace-streaming-ui",
          "millrace-streaming-chk1s",
          "millrace-streaming-chk10s",
          "millrace-streaming-heap",
          "millrace-streaming-heap-chk1s");

  /**
   * Millrace with its exchanges through Kafka ({@link LocalKafka}'s broker, a process of its own):
   * one worker of a cluster job, the streaming path with a checkpoint (a Kafka transaction) every
   * second. Against {@code millrace-streaming-chk1s}, the same but in one process, it shows what
   * going through Kafka costs. Not in the default set: it needs Maven to find the broker's class
   * path; name it in {@code --runners}.
   */
  public static final List<String> CLUSTER = List.of("millrace-cluster-1");

  /** Runners whose jobs need Flink's own class path (see {@code flink-classpath/pom.xml}). */
  public static final List<String> FLINK = List.of("flink-batch", "flink-streaming-rocksdb");

  private Runners() {}

  public static List<String> all() {
    List<String> all = new java.util.ArrayList<>(List.of(PLAIN));
    all.addAll(BEAM);
    all.addAll(FLINK);
    return all;
  }

  private static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** Flink's RocksDB backend wants a checkpoint URI even when no checkpoint is taken. */
  private static String flinkCheckpointDirectory() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("millrace-bench-flink-");
      dir.toFile().deleteOnExit();
      return dir.toUri().toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static PipelineOptions streamingWithCheckpoints(
      long intervalMillis, String stateBackend, String... more) {
    try {
      java.nio.file.Path dir =
          java.nio.file.Files.createTempDirectory("millrace-bench-checkpoints-");
      dir.toFile().deleteOnExit();
      List<String> args =
          new java.util.ArrayList<>(
              List.of(
                  "--runner=MillraceRunner",
                  "--consoleProgress=false",
                  "--streaming=true",
                  "--stateBackend=" + stateBackend,
                  "--checkpointingInterval=" + intervalMillis,
                  "--checkpointDir=" + dir));
      args.addAll(List.of(more));
      return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Pipeline options that select {@code runner}, or a clear error for an unknown name. */
  public static PipelineOptions options(String runner) {
    switch (runner) {
      case "millrace":
        return PipelineOptionsFactory.fromArgs("--runner=MillraceRunner", "--consoleProgress=false")
            .create();
      case "millrace-rocksdb":
        return PipelineOptionsFactory.fromArgs(
                "--runner=MillraceRunner", "--consoleProgress=false", "--stateBackend=ROCKSDB")
            .create();
      case "millrace-streaming":
        // The streaming code path throughout (ReduceFnRunner per key, no lifted combines, no
        // grouping once at the end), with its default state backend, RocksDB, and without the
        // default checkpoints (every 10 s: the chk10s column), as it was measured before them.
        return PipelineOptionsFactory.fromArgs(
                "--runner=MillraceRunner",
                "--consoleProgress=false",
                "--streaming=true",
                "--checkpointingInterval=0")
            .create();
      case "millrace-streaming-ui":
        // The streaming column with the web UI on and scraped every second (UiScraper): what
        // watching a job costs it.
        return PipelineOptionsFactory.fromArgs(
                "--runner=MillraceRunner",
                "--consoleProgress=false",
                "--streaming=true",
                "--checkpointingInterval=0",
                "--webUiPort=" + UiScraper.port())
            .create();
      case "millrace-streaming-chk1s":
        // The streaming column with a checkpoint every second, or every 10 s (the default for
        // streaming jobs): what they cost.
        return streamingWithCheckpoints(1000, "ROCKSDB");
      case "millrace-streaming-chk10s":
        return streamingWithCheckpoints(10_000, "ROCKSDB");
      case "millrace-streaming-heap":
        // The streaming code path with keyed state on the heap, without checkpoints, and with a
        // checkpoint every second: what writing the heap state out costs.
        return PipelineOptionsFactory.fromArgs(
                "--runner=MillraceRunner",
                "--consoleProgress=false",
                "--streaming=true",
                "--stateBackend=MEMORY",
                "--checkpointingInterval=0")
            .create();
      case "millrace-streaming-heap-chk1s":
        return streamingWithCheckpoints(1000, "MEMORY");
      case "millrace-cluster-1":
        {
          String kafka = System.getProperty("bench.kafka");
          if (kafka == null) {
            throw new IllegalStateException(
                "millrace-cluster-1 needs -Dbench.kafka=host:port (the suite starts a broker)");
          }
          // Each job a name of its own: a finished job's name runs nothing again.
          return streamingWithCheckpoints(
              1000,
              "ROCKSDB",
              "--clusterBootstrap=" + kafka,
              "--clusterJob=bench-" + System.nanoTime(),
              "--clusterWorker=0",
              "--clusterWorkers=1");
        }
      case "millrace-portable":
        // The same engine, the pipeline submitted to a Millrace job server in this JVM and its user
        // code run by the embedded Java SDK harness: what the Fn API costs.
        return PortableJobServer.options();
      case "direct":
        // As users get it: DirectRunner's immutability and encodability checks stay on.
        return PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create();
      case "flink-batch":
        // An embedded Flink mini-cluster with as many slots as Millrace has worker threads.
        return PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--streaming=false",
                "--parallelism=" + cores())
            .create();
      case "flink-streaming-rocksdb":
        return PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--streaming=true",
                "--parallelism=" + cores(),
                "--stateBackend=rocksdb",
                "--stateBackendStoragePath=" + flinkCheckpointDirectory())
            .create();
      default:
        throw new IllegalArgumentException("Unknown runner " + runner + "; known: " + all());
    }
  }
}
