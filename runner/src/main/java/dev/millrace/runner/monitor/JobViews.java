package dev.millrace.runner.monitor;

import dev.millrace.engine.JobExecution;
import dev.millrace.engine.SubtaskFigures;
import dev.millrace.engine.checkpoint.CheckpointRecord;
import dev.millrace.plan.Edge;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.StateFigures;
import dev.millrace.plan.Vertex;
import dev.millrace.plan.Watermarks;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.metrics.StringSetResult;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;

/**
 * What the REST API, the pages, Prometheus and the {@code millrace} command show of a job, built
 * from its plan and its latest figures: plain records, written as JSON as they are.
 */
public final class JobViews {
  private JobViews() {}

  /** A job in the list of jobs. */
  public record JobSummary(
      String id,
      String name,
      String sdk,
      String environment,
      String state,
      boolean streaming,
      long startedAtMillis,
      long durationMillis,
      long recordsRead,
      int restarts) {}

  /** The fused plan: vertices with the operators (Beam transforms) fused in each, and edges. */
  public record PlanView(List<VertexPlan> vertices, List<EdgePlan> edges) {}

  public record VertexPlan(int id, String name, int parallelism, List<String> transforms) {}

  /**
   * @param partitioning FORWARD (same subtask), HASH (by key group), BROADCAST or REBALANCE
   */
  public record EdgePlan(int from, int to, String partitioning, int keyGroups) {}

  /**
   * A vertex's live figures, summed or taken at the slowest of its subtasks.
   *
   * @param queueFill the fullest subtask inbox, 0 to 1: 1 means the vertex pushes back on its
   *     senders
   * @param watermarkLagMillis how far the output watermark is behind the wall clock; null before
   *     the first watermark and after the last
   * @param watermarkHeldBy what holds the slowest subtask's output watermark back
   * @param watermarkHeldSinceMillis when that watermark last moved
   * @param state the keyed state of its subtasks together (-1: not known to the backend), null when
   *     it keeps none
   */
  public record VertexView(
      int id,
      String name,
      long recordsIn,
      long recordsOut,
      double recordsInPerSecond,
      double recordsOutPerSecond,
      double queueFill,
      Long inputWatermark,
      String inputWatermarkText,
      Long outputWatermark,
      String outputWatermarkText,
      Long watermarkLagMillis,
      String watermarkHeldBy,
      long watermarkHeldSinceMillis,
      StateFigures state,
      boolean done,
      List<SubtaskView> subtasks) {}

  public record SubtaskView(
      int subtask,
      long recordsIn,
      long recordsOut,
      double recordsInPerSecond,
      int queued,
      int queueCapacity,
      String inputWatermarkText,
      String outputWatermarkText,
      String watermarkHeldBy,
      long outputWatermarkSinceMillis,
      StateFigures state,
      boolean ended) {}

  public record CheckpointsView(
      boolean enabled, long restoredFrom, long completed, List<CheckpointRecord> history) {}

  /**
   * One Beam user metric of one step; values are numbers, or for distributions {count, sum, min,
   * max}, for gauges {value, timestamp}, for string sets the strings.
   */
  public record MetricView(
      String step,
      String namespace,
      String name,
      String kind,
      Object attempted,
      Object committed) {}

  /** Why a job failed: the message, the subtask it came from, the stack trace (the SDK's too). */
  public record FailureView(String message, String step, String stackTrace) {}

  /** A job's page: everything but the metrics. */
  public record JobDetail(
      JobSummary job,
      PlanView plan,
      List<VertexView> vertices,
      CheckpointsView checkpoints,
      FailureView failure) {}

  public static JobSummary summary(MonitoredJob job) {
    long end = job.endedAtMillis();
    long duration = (end == 0 ? System.currentTimeMillis() : end) - job.startedAtMillis();
    return new JobSummary(
        job.id(),
        job.name(),
        job.origin().sdk(),
        job.origin().environment(),
        job.state().name(),
        job.result().translatedJob().streaming(),
        job.startedAtMillis(),
        duration,
        recordsRead(job),
        job.result().restarts());
  }

  /** What the vertices without inputs emitted: the elements the job's sources read. */
  static long recordsRead(MonitoredJob job) {
    Plan plan = job.attempt().plan();
    Set<Integer> sources = sourceVertices(plan);
    long read = 0;
    for (SubtaskFigures figures : job.latest().figures()) {
      if (sources.contains(figures.vertex())) {
        read += figures.recordsIn();
      }
    }
    return read;
  }

  /** The vertices no edge feeds: those whose records in are what the job's sources read. */
  static Set<Integer> sourceVertices(Plan plan) {
    Set<Integer> sources = new HashSet<>();
    for (Vertex vertex : plan.vertices()) {
      sources.add(vertex.id());
    }
    for (Edge edge : plan.edges()) {
      sources.remove(edge.to().vertex());
    }
    return sources;
  }

  public static JobDetail detail(MonitoredJob job) {
    return new JobDetail(summary(job), plan(job), vertices(job), checkpoints(job), failure(job));
  }

  /** The job's plan, each vertex with the Beam transforms fused into it. */
  public static PlanView plan(MonitoredJob job) {
    Plan plan = job.attempt().plan();
    List<VertexPlan> vertices = new ArrayList<>();
    for (Vertex vertex : plan.vertices()) {
      List<String> transforms = new ArrayList<>();
      for (OperatorNode operator : vertex.operators()) {
        transforms.addAll(job.result().translatedJob().transformsOf(operator.name()));
      }
      vertices.add(new VertexPlan(vertex.id(), vertex.name(), vertex.parallelism(), transforms));
    }
    List<EdgePlan> edges = new ArrayList<>();
    for (Edge edge : plan.edges()) {
      edges.add(
          new EdgePlan(
              edge.from().vertex(),
              edge.to().vertex(),
              edge.kind().name(),
              edge.kind() == EdgeKind.HASH ? edge.maxKeyGroups() : 0));
    }
    return new PlanView(vertices, edges);
  }

  public static List<VertexView> vertices(MonitoredJob job) {
    MonitoredJob.Sample latest = job.latest();
    MonitoredJob.Sample previous = job.previous();
    Map<String, SubtaskFigures> before = new HashMap<>();
    if (previous != null) {
      for (SubtaskFigures f : previous.figures()) {
        before.put(f.vertex() + "/" + f.subtask(), f);
      }
    }
    double seconds = previous == null ? 0 : (latest.atMillis() - previous.atMillis()) / 1000.0;
    long now = System.currentTimeMillis();
    List<VertexView> views = new ArrayList<>();
    for (Vertex vertex : job.attempt().plan().vertices()) {
      long in = 0;
      long out = 0;
      double inRate = 0;
      double outRate = 0;
      double fill = 0;
      long inputWm = Watermarks.END;
      long outputWm = Watermarks.END;
      SubtaskFigures slowest = null;
      StateFigures state = null;
      boolean done = true;
      List<SubtaskView> subtasks = new ArrayList<>();
      for (SubtaskFigures f : latest.figures()) {
        if (f.vertex() != vertex.id()) {
          continue;
        }
        SubtaskFigures b = before.get(f.vertex() + "/" + f.subtask());
        double subtaskInRate = rate(f, b, seconds, SubtaskFigures::recordsIn);
        in += f.recordsIn();
        out += f.recordsOut();
        inRate += subtaskInRate;
        outRate += rate(f, b, seconds, SubtaskFigures::recordsOut);
        if (f.queueCapacity() > 0) {
          fill = Math.max(fill, (double) f.queued() / f.queueCapacity());
        }
        inputWm = Math.min(inputWm, f.inputWatermark());
        if (slowest == null || f.outputWatermark() < slowest.outputWatermark()) {
          slowest = f;
        }
        outputWm = Math.min(outputWm, f.outputWatermark());
        done &= f.ended();
        if (f.state() != null) {
          state = state == null ? f.state() : state.plus(f.state());
        }
        subtasks.add(
            new SubtaskView(
                f.subtask(),
                f.recordsIn(),
                f.recordsOut(),
                subtaskInRate,
                f.queued(),
                f.queueCapacity(),
                watermarkText(f.inputWatermark()),
                watermarkText(f.outputWatermark()),
                f.watermarkHeldBy(),
                f.outputWatermarkSinceMillis(),
                f.state(),
                f.ended()));
      }
      views.add(
          new VertexView(
              vertex.id(),
              vertex.name(),
              in,
              out,
              inRate,
              outRate,
              fill,
              watermarkMillis(inputWm),
              watermarkText(inputWm),
              watermarkMillis(outputWm),
              watermarkText(outputWm),
              watermarkMillis(outputWm) == null ? null : now - outputWm,
              slowest == null || done ? null : slowest.watermarkHeldBy(),
              slowest == null ? 0 : slowest.outputWatermarkSinceMillis(),
              state,
              done,
              subtasks));
    }
    return views;
  }

  private static double rate(
      SubtaskFigures now,
      SubtaskFigures before,
      double seconds,
      Function<SubtaskFigures, Long> of) {
    if (before == null || seconds <= 0) {
      return 0;
    }
    return Math.max(0, of.apply(now) - of.apply(before)) / seconds;
  }

  /** State figures for people: "1200 keys · 40 timers", "≈ 3.2 MB · ≈ 51000 entries". */
  public static String stateText(StateFigures state) {
    if (state == null) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    if (state.keys() >= 0) {
      parts.add(state.keys() + " keys");
    }
    if (state.bytes() >= 0) {
      parts.add("≈ " + bytesText(state.bytes()));
    }
    if (state.entries() >= 0) {
      parts.add("≈ " + state.entries() + " entries");
    }
    if (state.timers() >= 0) {
      parts.add(state.timers() + " timers");
    }
    return String.join(" · ", parts);
  }

  /** Bytes for people: "512 B", "3.4 KB", "12.0 MB". */
  public static String bytesText(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format("%.1f KB", bytes / 1024.0);
    }
    return String.format("%.1f MB", bytes / (1024.0 * 1024));
  }

  /** A watermark as a time, or null before the first and at the end. */
  static Long watermarkMillis(long watermark) {
    if (watermark <= BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis()
        || watermark >= GlobalWindow.INSTANCE.maxTimestamp().getMillis()) {
      return null;
    }
    return watermark;
  }

  /** A watermark for people: a time, or what its extremes mean. */
  public static String watermarkText(long watermark) {
    if (watermark <= BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis()) {
      return "none yet";
    }
    if (watermark >= BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis()) {
      return "end";
    }
    if (watermark >= GlobalWindow.INSTANCE.maxTimestamp().getMillis()) {
      return "end of the global window";
    }
    return Instant.ofEpochMilli(watermark).toString();
  }

  public static CheckpointsView checkpoints(MonitoredJob job) {
    JobExecution attempt = job.attempt();
    return new CheckpointsView(
        attempt.takesCheckpoints(),
        attempt.restoredFromCheckpoint(),
        attempt.completedCheckpoints(),
        attempt.checkpointHistory());
  }

  public static FailureView failure(MonitoredJob job) {
    Throwable failure = job.result().failure();
    if (failure == null) {
      return null;
    }
    StringWriter trace = new StringWriter();
    failure.printStackTrace(new PrintWriter(trace));
    return new FailureView(String.valueOf(failure), job.attempt().failedIn(), trace.toString());
  }

  /** Every user metric of the job, attempted and committed, by step. */
  public static List<MetricView> metrics(MonitoredJob job) {
    MetricQueryResults results =
        job.result().metrics().queryMetrics(MetricsFilter.builder().build());
    List<MetricView> views = new ArrayList<>();
    for (MetricResult<Long> counter : results.getCounters()) {
      views.add(view(counter, "counter", v -> v));
    }
    for (MetricResult<DistributionResult> distribution : results.getDistributions()) {
      views.add(
          view(
              distribution,
              "distribution",
              d ->
                  Map.of(
                      "count",
                      d.getCount(),
                      "sum",
                      d.getSum(),
                      "min",
                      d.getMin(),
                      "max",
                      d.getMax())));
    }
    for (MetricResult<GaugeResult> gauge : results.getGauges()) {
      views.add(
          view(
              gauge,
              "gauge",
              g -> Map.of("value", g.getValue(), "timestamp", g.getTimestamp().toString())));
    }
    for (MetricResult<StringSetResult> strings : results.getStringSets()) {
      views.add(view(strings, "stringSet", s -> new java.util.TreeSet<>(s.getStringSet())));
    }
    return views;
  }

  private static <T> MetricView view(MetricResult<T> result, String kind, Function<T, Object> of) {
    Object committed;
    try {
      committed = result.getCommitted() == null ? null : of.apply(result.getCommitted());
    } catch (UnsupportedOperationException e) {
      committed = null;
    }
    return new MetricView(
        result.getKey().stepName(),
        result.getKey().metricName().getNamespace(),
        result.getKey().metricName().getName(),
        kind,
        result.getAttempted() == null ? null : of.apply(result.getAttempted()),
        committed);
  }
}
