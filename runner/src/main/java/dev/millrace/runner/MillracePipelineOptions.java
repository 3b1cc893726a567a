package dev.millrace.runner;

import dev.millrace.translation.GroupingOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * Options of the Millrace runner.
 *
 * <p>Beam builds one options proxy from every options interface on the class path, and refuses a
 * getter that two interfaces declare with different return types or different {@code @Default}s. So
 * a getter whose name another runner also declares keeps that runner's type and default: {@code
 * getParallelism()} and {@code getStateBackend()} as the Flink runner declares them. Where that
 * cannot be done the name is our own: the bundle size is {@code --maxBundleElements}, since Flink's
 * {@code maxBundleSize} takes its default from a factory class of Flink's (a getter must carry the
 * same {@code @Default} in every interface, or none in all), Samza's is a primitive {@code long}
 * and Spark's {@code bundleSize} means bytes.
 */
public interface MillracePipelineOptions
    extends PipelineOptions, StreamingOptions, GroupingOptions {

  @Description(
      "Subtasks per vertex, and worker threads per job. -1 (the default) means the number of "
          + "available cores.")
  @Default.Integer(-1)
  Integer getParallelism();

  void setParallelism(Integer parallelism);

  @Description(
      "Where keyed state (stateful ParDo, GroupByKey) lives: 'memory' or 'rocksdb' (a RocksDB "
          + "instance per keyed operator and subtask, in a temp directory removed when the job "
          + "ends). Unset: memory for batch jobs, rocksdb for streaming ones.")
  String getStateBackend();

  void setStateBackend(String backend);

  @Description("Most elements a subtask processes in one bundle.")
  @Default.Integer(1000)
  int getMaxBundleElements();

  void setMaxBundleElements(int elements);

  @Description("Longest time, in milliseconds, a bundle stays open.")
  @Default.Long(100)
  long getMaxBundleMillis();

  void setMaxBundleMillis(long millis);

  // Flink's type and default, so both runners' options can be on one class path.
  @Description(
      "Milliseconds between checkpoints of the job: keyed state, timers, source positions, side "
          + "inputs and waiting input, so that the job started again with the same --jobName and "
          + "--checkpointDir resumes where the last completed checkpoint was. 0: no checkpoints. "
          + "-1 (the default): every 10 s for a streaming job without TestStream, none otherwise.")
  @Default.Long(-1L)
  Long getCheckpointingInterval();

  void setCheckpointingInterval(Long millis);

  @Description(
      "Where checkpoints are kept, in a directory per --jobName. Unset: millrace-checkpoints in the "
          + "temporary directory. A job that ends DONE removes its checkpoints; a failed, cancelled "
          + "or killed one keeps them, to be resumed.")
  String getCheckpointDir();

  void setCheckpointDir(String directory);

  @Description("Completed checkpoints kept; older ones are removed as newer ones complete.")
  @Default.Integer(2)
  int getCheckpointsToKeep();

  void setCheckpointsToKeep(int count);

  @Description(
      "With checkpoints: times a failed job is started again, in this process, from its latest "
          + "completed checkpoint before it fails for good. A job that fails before its first "
          + "checkpoint, or has none, fails at once: there is nothing to resume.")
  @Default.Integer(3)
  int getMaxRestarts();

  void setMaxRestarts(int restarts);

  @Description(
      "Serves the web UI, the REST API (/api/v1) and Prometheus's /metrics for this process's jobs"
          + " on this port while they run (0: a free port, logged). Unset: none. Pipelines of one"
          + " process asking for the same port share it.")
  Integer getWebUiPort();

  void setWebUiPort(Integer port);

  @Description(
      "Host the web UI binds (--webUiPort): localhost by default. Any other address needs"
          + " --webUiToken for cancel, drain and checkpoint.")
  @Default.String("localhost")
  String getWebUiHost();

  void setWebUiHost(String host);

  @Description(
      "Token the web UI's actions must carry ('Authorization: Bearer <token>') when it is not bound"
          + " to loopback.")
  String getWebUiToken();

  void setWebUiToken(String token);

  @Description(
      "Shows the job's progress on the console: one updating line on a terminal, a log line every"
          + " few seconds otherwise.")
  @Default.Boolean(true)
  boolean isConsoleProgress();

  void setConsoleProgress(boolean show);

  @Description(
      "Kafka brokers (host:port,...) through which this JVM runs its share of --clusterJob with the"
          + " job's other workers: each runs the same pipeline with its own --clusterWorker. Unset:"
          + " the whole job runs in this JVM.")
  String getClusterBootstrap();

  void setClusterBootstrap(String brokers);

  @Description(
      "The job's name on the cluster, the same for all its workers; names its Kafka topics"
          + " (letters, digits, '.', '_' and '-').")
  String getClusterJob();

  void setClusterJob(String job);

  @Description("Which worker of the job this JVM is, from 0 to --clusterWorkers - 1.")
  @Default.Integer(0)
  int getClusterWorker();

  void setClusterWorker(int worker);

  @Description(
      "How many workers run the job: subtask s of every step runs on worker s % --clusterWorkers,"
          + " so --parallelism is the job's total over all workers.")
  @Default.Integer(1)
  int getClusterWorkers();

  void setClusterWorkers(int workers);

  @Description(
      "How long a worker waits at start for a broker of --clusterBootstrap to answer, asking again"
          + " every half second, before it fails naming the address (nothing of the job made).")
  @Default.Integer(60)
  int getClusterConnectTimeoutSeconds();

  void setClusterConnectTimeoutSeconds(int seconds);
}
