package dev.millrace.runner.web;

import dev.millrace.engine.checkpoint.CheckpointRecord;
import dev.millrace.plan.StateFigures;
import dev.millrace.runner.monitor.JobViews;
import dev.millrace.runner.monitor.MonitoredJob;
import dev.millrace.runner.monitor.MonitoredJobs;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * {@code /metrics}: the jobs of this JVM in Prometheus's text format, written with the official
 * client and read at scrape time, never kept twice. Beam user metrics are fixed families labelled
 * by job, step, namespace and name (never by a key or a string set's values); the engine's figures
 * are labelled by job and vertex; the JVM's come from the client's own instrumentation.
 */
final class PrometheusExport implements MultiCollector {
  private static PrometheusRegistry registry;

  private final MonitoredJobs jobs;

  private PrometheusExport(MonitoredJobs jobs) {
    this.jobs = jobs;
  }

  /** The one registry of this JVM: the JVM's own metrics can be registered only once. */
  static synchronized PrometheusRegistry registry() {
    if (registry == null) {
      registry = new PrometheusRegistry();
      registry.register(new PrometheusExport(MonitoredJobs.ofThisJvm()));
      JvmMetrics.builder().register(registry);
    }
    return registry;
  }

  static void write(OutputStream out) throws IOException {
    PrometheusTextFormatWriter.create().write(out, registry().scrape());
  }

  static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  @Override
  public MetricSnapshots collect() {
    CounterSnapshot.Builder counters =
        counterFamily(
            "beam_user_metric", "Beam user counters, attempted, by job, step, namespace and name");
    SummarySnapshot.Builder distributions =
        SummarySnapshot.builder()
            .name("beam_user_distribution")
            .help("Beam user distributions, attempted: count and sum");
    GaugeSnapshot.Builder distributionMin =
        gaugeFamily(
            "beam_user_distribution_min", "Beam user distributions, attempted: the smallest value");
    GaugeSnapshot.Builder distributionMax =
        gaugeFamily(
            "beam_user_distribution_max", "Beam user distributions, attempted: the largest value");
    GaugeSnapshot.Builder gauges =
        gaugeFamily("beam_user_latest_value", "Beam user gauges: the latest value set");
    GaugeSnapshot.Builder stringSets =
        GaugeSnapshot.builder()
            .name("beam_user_string_set_size")
            .help(
                "Beam user string sets: how many strings each holds (the strings are not labels)");
    GaugeSnapshot.Builder jobInfo =
        gaugeFamily(
            "millrace_job_info",
            "1 for every job this process keeps, with its name, SDK and state");
    GaugeSnapshot.Builder vertexInfo =
        gaugeFamily("millrace_vertex_info", "1 for every vertex of a job, with its name");
    CounterSnapshot.Builder recordsIn =
        counterFamily(
            "millrace_records_in", "Elements a vertex read from its inputs or its sources emitted");
    CounterSnapshot.Builder recordsOut =
        counterFamily("millrace_records_out", "Elements a vertex sent on its outgoing edges");
    GaugeSnapshot.Builder lag =
        GaugeSnapshot.builder()
            .name("millrace_watermark_lag_seconds")
            .unit(Unit.SECONDS)
            .help("How far a vertex's output watermark is behind the wall clock");
    GaugeSnapshot.Builder fill =
        gaugeFamily(
            "millrace_queue_fill_ratio",
            "The fullest inbox of a vertex's subtasks, 0 to 1 (1: it pushes back)");
    CounterSnapshot.Builder checkpointsCompleted =
        counterFamily(
            "millrace_checkpoints_completed", "Checkpoints the job's current attempt completed");
    CounterSnapshot.Builder checkpointsAbandoned =
        counterFamily(
            "millrace_checkpoints_abandoned", "Checkpoints the job stopped before they completed");
    GaugeSnapshot.Builder checkpointDuration =
        GaugeSnapshot.builder()
            .name("millrace_checkpoint_duration_seconds")
            .unit(Unit.SECONDS)
            .help("How long the latest completed checkpoint took");
    GaugeSnapshot.Builder checkpointSize =
        GaugeSnapshot.builder()
            .name("millrace_checkpoint_size_bytes")
            .unit(Unit.BYTES)
            .help("The size of the latest completed checkpoint");
    GaugeSnapshot.Builder stateKeys =
        gaugeFamily(
            "millrace_state_keys", "Keys with keyed state or timers in a vertex (heap state only)");
    GaugeSnapshot.Builder stateEntries =
        gaugeFamily(
            "millrace_state_entries",
            "Stored entries of a vertex's keyed state, estimated (RocksDB state only)");
    GaugeSnapshot.Builder stateBytes =
        GaugeSnapshot.builder()
            .name("millrace_state_size_bytes")
            .unit(Unit.BYTES)
            .help("Bytes of a vertex's keyed state, estimated (RocksDB state only)");
    GaugeSnapshot.Builder stateTimers =
        gaugeFamily(
            "millrace_state_timers", "Timers set and not yet fired in a vertex (heap state only)");
    for (MonitoredJob job : jobs.all()) {
      String id = job.id();
      jobInfo.dataPoint(
          gauge(
              Labels.of(
                  "beam_job",
                  id,
                  "name",
                  job.name(),
                  "sdk",
                  job.origin().sdk(),
                  "state",
                  job.state().name()),
              1));
      try {
        for (JobViews.MetricView metric : JobViews.metrics(job)) {
          Labels labels =
              Labels.of(
                  "beam_job",
                  id,
                  "ptransform",
                  metric.step(),
                  "namespace",
                  metric.namespace(),
                  "name",
                  metric.name());
          Object value = metric.attempted();
          if (value == null) {
            continue;
          }
          switch (metric.kind()) {
            case "counter" -> counters.dataPoint(counter(labels, ((Number) value).doubleValue()));
            case "distribution" -> {
              Map<?, ?> d = (Map<?, ?>) value;
              long count = ((Number) d.get("count")).longValue();
              distributions.dataPoint(
                  SummaryDataPointSnapshot.builder()
                      .labels(labels)
                      .count(count)
                      .sum(((Number) d.get("sum")).doubleValue())
                      .build());
              if (count > 0) {
                distributionMin.dataPoint(gauge(labels, ((Number) d.get("min")).doubleValue()));
                distributionMax.dataPoint(gauge(labels, ((Number) d.get("max")).doubleValue()));
              }
            }
            case "gauge" ->
                gauges.dataPoint(
                    gauge(labels, ((Number) ((Map<?, ?>) value).get("value")).doubleValue()));
            case "stringSet" ->
                stringSets.dataPoint(gauge(labels, ((java.util.Set<?>) value).size()));
            default -> {}
          }
        }
      } catch (RuntimeException e) {
        // A job whose metrics cannot be read right now still has its engine figures.
      }
      for (JobViews.VertexView vertex : JobViews.vertices(job)) {
        Labels labels = Labels.of("beam_job", id, "vertex", "v" + vertex.id());
        vertexInfo.dataPoint(
            gauge(
                Labels.of("beam_job", id, "vertex", "v" + vertex.id(), "name", vertex.name()), 1));
        recordsIn.dataPoint(counter(labels, vertex.recordsIn()));
        recordsOut.dataPoint(counter(labels, vertex.recordsOut()));
        fill.dataPoint(gauge(labels, vertex.queueFill()));
        if (vertex.watermarkLagMillis() != null) {
          lag.dataPoint(gauge(labels, vertex.watermarkLagMillis() / 1000.0));
        }
        StateFigures state = vertex.state();
        if (state != null) {
          if (state.keys() >= 0) {
            stateKeys.dataPoint(gauge(labels, state.keys()));
          }
          if (state.entries() >= 0) {
            stateEntries.dataPoint(gauge(labels, state.entries()));
          }
          if (state.bytes() >= 0) {
            stateBytes.dataPoint(gauge(labels, state.bytes()));
          }
          if (state.timers() >= 0) {
            stateTimers.dataPoint(gauge(labels, state.timers()));
          }
        }
      }
      JobViews.CheckpointsView checkpoints = JobViews.checkpoints(job);
      if (checkpoints.enabled()) {
        Labels labels = Labels.of("beam_job", id);
        checkpointsCompleted.dataPoint(counter(labels, checkpoints.completed()));
        List<CheckpointRecord> history = checkpoints.history();
        checkpointsAbandoned.dataPoint(
            counter(labels, history.stream().filter(c -> c.status().equals("ABANDONED")).count()));
        history.stream()
            .filter(c -> c.status().equals("COMPLETED"))
            .reduce((a, b) -> b)
            .ifPresent(
                last -> {
                  checkpointDuration.dataPoint(gauge(labels, last.durationMillis() / 1000.0));
                  checkpointSize.dataPoint(gauge(labels, last.bytes()));
                });
      }
    }
    return MetricSnapshots.of(
        counters.build(),
        distributions.build(),
        distributionMin.build(),
        distributionMax.build(),
        gauges.build(),
        stringSets.build(),
        jobInfo.build(),
        vertexInfo.build(),
        recordsIn.build(),
        recordsOut.build(),
        lag.build(),
        fill.build(),
        checkpointsCompleted.build(),
        checkpointsAbandoned.build(),
        checkpointDuration.build(),
        checkpointSize.build(),
        stateKeys.build(),
        stateEntries.build(),
        stateBytes.build(),
        stateTimers.build());
  }

  private static GaugeSnapshot.Builder gaugeFamily(String name, String help) {
    return GaugeSnapshot.builder().name(name).help(help);
  }

  private static CounterSnapshot.Builder counterFamily(String name, String help) {
    return CounterSnapshot.builder().name(name).help(help);
  }

  private static CounterDataPointSnapshot counter(Labels labels, double value) {
    return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
  }

  private static GaugeDataPointSnapshot gauge(Labels labels, double value) {
    return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
  }
}
