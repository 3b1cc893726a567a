package dev.millrace.runner.web;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.monitor.MonitoredJobs;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.StringSet;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The web UI and REST API over real jobs: a streaming job while it runs, a batch job once it ended,
 * a failed one; the pages parsed as HTML; actions honoured and refused.
 */
@Timeout(120)
class WebUiTest {
  private static WebUi ui;
  private static UiClient client;

  @BeforeAll
  static void startUi() throws Exception {
    ui = WebUi.start("localhost", 0, null, MonitoredJobs.ofThisJvm());
    client = new UiClient(ui);
  }

  @AfterAll
  static void stopUi() {
    ui.close();
  }

  static Pipeline pipeline(String... more) {
    List<String> args =
        new ArrayList<>(
            List.of("--runner=MillraceRunner", "--parallelism=2", "--consoleProgress=false"));
    args.addAll(List.of(more));
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create());
  }

  /** Counts what it sees with every kind of user metric. */
  static final class Observe extends DoFn<Long, Long> {
    private final Counter seen = Metrics.counter("test", "seen");
    private final Distribution values = Metrics.distribution("test", "values");
    private final Gauge last = Metrics.gauge("test", "last");
    private final StringSet parities = Metrics.stringSet("test", "parities");

    @ProcessElement
    public void process(@Element Long n, OutputReceiver<Long> out) {
      seen.inc();
      values.update(n);
      last.set(n);
      parities.add(n % 2 == 0 ? "even" : "odd");
      out.output(n);
    }
  }

  static final class Drop extends DoFn<KV<Long, Iterable<Long>>, Long> {
    @ProcessElement
    public void process(@Element KV<Long, Iterable<Long>> group) {}
  }

  static final class Fail extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long n) {
      if (n == 7) {
        throw new IllegalStateException("seven is not welcome");
      }
    }
  }

  static MillracePipelineResult runStreaming(String... more) {
    List<String> args = new ArrayList<>(List.of("--streaming", "--checkpointingInterval=300"));
    args.addAll(List.of(more));
    Pipeline p = pipeline(args.toArray(new String[0]));
    p.apply(GenerateSequence.from(0).withRate(500, Duration.standardSeconds(1)))
        .apply("Observe", ParDo.of(new Observe()))
        .apply(Window.into(FixedWindows.of(Duration.millis(200))))
        .apply(WithKeys.of((Long n) -> n % 5).withKeyType(TypeDescriptors.longs()))
        .apply(Sum.longsPerKey());
    return (MillracePipelineResult) p.run();
  }

  static JsonNode vertex(JsonNode detail, int id) {
    for (JsonNode v : detail.get("vertices")) {
      if (v.get("id").asInt() == id) {
        return v;
      }
    }
    throw new AssertionError("no vertex " + id + " in " + detail);
  }

  @Test
  void aRunningStreamingJobShowsLiveFiguresWatermarksCheckpointsAndMetrics() throws Exception {
    MillracePipelineResult result = runStreaming();
    String job = "/api/v1/jobs/" + result.id();
    try {
      JsonNode listed = client.json("/api/v1/jobs");
      boolean found = false;
      for (JsonNode j : listed) {
        found |= j.get("id").asText().equals(result.id());
      }
      assertThat("listed in " + listed, found, is(true));

      JsonNode first = client.await(job, d -> d.get("job").get("recordsRead").asLong() > 0, 30);
      assertThat(first.get("job").get("state").asText(), is("RUNNING"));
      assertThat(first.get("job").get("streaming").asBoolean(), is(true));
      assertThat(first.get("plan").get("vertices").size(), is(2));
      assertThat(first.get("plan").get("edges").get(0).get("partitioning").asText(), is("HASH"));
      long firstWatermark =
          client
              .await(job, d -> !vertex(d, 0).get("outputWatermark").isNull(), 30)
              .get("vertices")
              .get(0)
              .get("outputWatermark")
              .asLong();
      JsonNode later =
          client.await(
              job,
              d ->
                  !vertex(d, 0).get("outputWatermark").isNull()
                      && vertex(d, 0).get("outputWatermark").asLong() > firstWatermark
                      && vertex(d, 0).get("recordsInPerSecond").asDouble() > 0,
              30);
      JsonNode source = vertex(later, 0);
      assertThat(source.get("watermarkHeldBy").asText(), startsWith("source "));
      assertThat(source.get("watermarkHeldBy").asText(), containsString(": split "));
      assertThat(source.get("watermarkLagMillis").asLong() >= 0, is(true));
      assertThat(source.get("subtasks"), notNullValue());
      assertThat(source.get("subtasks").size(), is(2));
      JsonNode downstream = vertex(later, 1);
      assertThat(downstream.get("watermarkHeldBy").isNull(), is(false));
      // Streaming state is in RocksDB by default: it knows bytes and entries, not keys.
      JsonNode state =
          vertex(client.await(job, d -> vertex(d, 1).get("state").get("bytes").asLong() > 0, 30), 1)
              .get("state");
      assertThat(state.get("keys").asLong(), is(-1L));
      assertThat(state.get("entries").asLong() >= 0, is(true));

      JsonNode checkpoints =
          client.await(job + "/checkpoints", c -> c.get("completed").asLong() >= 1, 30);
      JsonNode checkpoint = checkpoints.get("history").get(0);
      assertThat(checkpoints.get("enabled").asBoolean(), is(true));
      assertThat(checkpoint.get("status").asText(), is("COMPLETED"));
      assertThat(checkpoint.get("trigger").asText(), is("periodic"));
      assertThat(checkpoint.get("bytes").asLong(), greaterThan(0L));

      JsonNode metrics = client.await(job + "/metrics", m -> seen(m) > 0, 30);
      assertThat(seen(metrics), greaterThan(0L));
      assertThat(kinds(metrics), is(List.of("counter", "distribution", "gauge", "stringSet")));

      HttpResponse<String> page = client.get("/jobs/" + result.id());
      Document html = Jsoup.parse(page.body());
      assertThat(html.select("svg#graph g.vertex"), hasSize(2));
      assertThat(html.select("svg#graph path.edge"), hasSize(1));
      assertThat(html.select("#state").text(), is("RUNNING"));
      assertThat(html.select("tr.vertex details ol.transforms li").size(), greaterThan(2));
      Document checkpointsPage =
          Jsoup.parse(client.get("/jobs/" + result.id() + "/checkpoints").body());
      assertThat(checkpointsPage.select("tbody#checkpoints tr").size(), greaterThan(0));
      assertThat(checkpointsPage.select("svg.trend rect.duration").size(), greaterThan(0));
      Document metricsPage = Jsoup.parse(client.get("/jobs/" + result.id() + "/metrics").body());
      assertThat(metricsPage.select("tbody#metrics tr").text(), containsString("seen"));
      Document explain = Jsoup.parse(client.get("/jobs/" + result.id() + "/explain").body());
      assertThat(explain.select("pre.plan").text(), containsString("streaming job"));
      assertThat(client.get(job + "/plan.dot").body(), startsWith("digraph"));
    } finally {
      result.cancel();
    }
  }

  @Test
  void heapStateShowsItsKeysAndTimers() throws Exception {
    MillracePipelineResult result = runStreaming("--stateBackend=memory");
    try {
      String job = "/api/v1/jobs/" + result.id();
      JsonNode state =
          vertex(
                  client.await(
                      job,
                      d ->
                          !vertex(d, 1).get("state").isNull()
                              && vertex(d, 1).get("state").get("keys").asLong() > 0
                              && vertex(d, 1).get("state").get("timers").asLong() > 0,
                      30),
                  1)
              .get("state");
      // Five keys, each with a window open (or two) and its end-of-window timer.
      assertThat(state.get("keys").asLong() <= 5 * 3, is(true));
      assertThat(state.get("bytes").asLong(), is(-1L));
      assertThat(
          client.get("/metrics").body(),
          containsString("millrace_state_keys{beam_job=\"" + result.id()));
    } finally {
      result.cancel();
    }
  }

  static long seen(JsonNode metrics) {
    for (JsonNode m : metrics) {
      if (m.get("name").asText().equals("seen")) {
        return m.get("attempted").asLong();
      }
    }
    return 0;
  }

  static List<String> kinds(JsonNode metrics) {
    List<String> kinds = new ArrayList<>();
    for (JsonNode m : metrics) {
      if (m.get("namespace").asText().equals("test")) {
        kinds.add(m.get("kind").asText());
      }
    }
    kinds.sort(String::compareTo);
    return kinds;
  }

  @Test
  void aFinishedBatchJobShowsExactCounts() throws Exception {
    Pipeline p = pipeline();
    p.apply(Create.of(LongStream.range(0, 1000).boxed().toList()))
        .apply("Observe", ParDo.of(new Observe()))
        .apply(WithKeys.of((Long n) -> n % 10).withKeyType(TypeDescriptors.longs()))
        .apply(GroupByKey.create())
        .apply("Sizes", ParDo.of(new Drop()));
    MillracePipelineResult result = (MillracePipelineResult) p.run();
    assertThat(result.waitUntilFinish(), is(PipelineResult.State.DONE));
    String job = "/api/v1/jobs/" + result.id();
    JsonNode detail = client.json(job);
    assertThat(detail.get("job").get("state").asText(), is("DONE"));
    assertThat(detail.get("job").get("streaming").asBoolean(), is(false));
    assertThat(detail.get("job").get("recordsRead").asLong(), is(1000L));
    JsonNode source = vertex(detail, 0);
    JsonNode grouped = vertex(detail, 1);
    assertThat(source.get("recordsIn").asLong(), is(1000L));
    assertThat(source.get("recordsOut").asLong(), is(1000L));
    assertThat(grouped.get("recordsIn").asLong(), is(1000L));
    assertThat(grouped.get("recordsOut").asLong(), is(0L));
    assertThat(source.get("done").asBoolean(), is(true));
    assertThat(grouped.get("outputWatermarkText").asText(), is("end"));
    assertThat(client.json(job + "/checkpoints").get("enabled").asBoolean(), is(false));
    JsonNode metrics = client.json(job + "/metrics");
    for (JsonNode m : metrics) {
      if (m.get("name").asText().equals("seen")) {
        assertThat(m.get("committed").asLong(), is(1000L));
      }
      if (m.get("name").asText().equals("values")) {
        assertThat(m.get("committed").get("count").asLong(), is(1000L));
        assertThat(m.get("committed").get("sum").asLong(), is(499_500L));
        assertThat(m.get("committed").get("max").asLong(), is(999L));
      }
      if (m.get("name").asText().equals("parities")) {
        assertThat(m.get("committed").size(), is(2));
      }
    }
    assertThat(seen(metrics), is(1000L));
    Document jobs = Jsoup.parse(client.get("/").body());
    assertThat(jobs.select("tr.job[data-job=" + result.id() + "] .state").text(), is("DONE"));
    assertThat(
        jobs.select("tr.job[data-job=" + result.id() + "] a").attr("href"),
        is("/jobs/" + result.id()));
    HttpResponse<String> refused = client.post(job + "/cancel", "X-Requested-By", "millrace");
    assertThat(refused.statusCode(), is(409));
  }

  @Test
  void aFailedJobShowsItsErrorAndWhereItCameFrom() throws Exception {
    Pipeline p = pipeline();
    p.apply(Create.of(LongStream.range(0, 20).boxed().toList()))
        .apply("Picky", ParDo.of(new Fail()));
    MillracePipelineResult result = (MillracePipelineResult) p.run();
    try {
      result.waitUntilFinish();
    } catch (Pipeline.PipelineExecutionException expected) {
      // The test reads the failure from the UI.
    }
    JsonNode failure = client.json("/api/v1/jobs/" + result.id() + "/exceptions").get("failure");
    assertThat(failure.get("message").asText(), containsString("seven is not welcome"));
    assertThat(failure.get("step").asText(), containsString("subtask"));
    assertThat(failure.get("stackTrace").asText(), containsString("WebUiTest$Fail"));
    Document errors = Jsoup.parse(client.get("/jobs/" + result.id() + "/errors").body());
    assertThat(errors.select(".failure .message").text(), containsString("seven is not welcome"));
    assertThat(errors.select("pre.trace").text(), containsString("WebUiTest$Fail.process"));
    assertThat(errors.select("#state").text(), is("FAILED"));
  }

  @Test
  void actionsNeedTheHeaderAndThenCancelDrainAndCheckpoint() throws Exception {
    MillracePipelineResult first = runStreaming();
    MillracePipelineResult second = runStreaming();
    try {
      String job = "/api/v1/jobs/" + first.id();
      client.await(job, d -> d.get("job").get("recordsRead").asLong() > 0, 30);
      assertThat(client.post(job + "/cancel").statusCode(), is(403));
      assertThat(first.getState(), is(PipelineResult.State.RUNNING));
      assertThat(client.post(job + "/explode", "X-Requested-By", "millrace").statusCode(), is(404));
      HttpResponse<String> checkpoint =
          client.post(job + "/checkpoint", "X-Requested-By", "millrace");
      assertThat(
          checkpoint.body(),
          checkpoint.statusCode() == 202 || checkpoint.statusCode() == 409,
          is(true));
      client.await(
          job + "/checkpoints",
          c -> {
            for (JsonNode h : c.get("history")) {
              if (h.get("trigger").asText().equals("manual")
                  && h.get("status").asText().equals("COMPLETED")) {
                return true;
              }
            }
            // One was being taken when asked: ask again.
            try {
              client.post(job + "/checkpoint", "X-Requested-By", "millrace");
            } catch (Exception e) {
              throw new AssertionError(e);
            }
            return false;
          },
          30);
      assertThat(client.post(job + "/cancel", "X-Requested-By", "millrace").statusCode(), is(202));
      assertThat(
          first.waitUntilFinish(Duration.standardSeconds(30)), is(PipelineResult.State.CANCELLED));
      String other = "/api/v1/jobs/" + second.id();
      assertThat(client.post(other + "/drain", "X-Requested-By", "millrace").statusCode(), is(202));
      assertThat(
          second.waitUntilFinish(Duration.standardSeconds(60)), is(PipelineResult.State.DONE));
      assertThat(client.json(other).get("job").get("state").asText(), is("DONE"));
    } finally {
      first.cancel();
      second.cancel();
    }
  }

  @Test
  void aWebUiPortInUseFailsThePipelineBeforeAnythingRuns() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int jobsBefore = MonitoredJobs.ofThisJvm().all().size();
      Pipeline p = pipeline("--webUiPort=" + taken.getLocalPort());
      p.apply(Create.of(1L, 2L)).apply("Observe", ParDo.of(new Observe()));
      IllegalStateException refused =
          org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, p::run);
      assertThat(refused.getMessage(), containsString("--webUiPort=" + taken.getLocalPort()));
      assertThat(refused.getMessage(), containsString("nothing was started"));
      assertThat(MonitoredJobs.ofThisJvm().all().size(), is(jobsBefore));
    }
  }

  @Test
  void unknownJobsAndPathsAreClearErrors() throws Exception {
    HttpResponse<String> missing = client.get("/api/v1/jobs/no-such-job");
    assertThat(missing.statusCode(), is(404));
    assertThat(missing.body(), containsString("no job no-such-job"));
    assertThat(client.get("/api/v1/elsewhere").statusCode(), is(404));
    assertThat(client.get("/jobs/no-such-job").statusCode(), is(404));
    assertThat(client.get("/static/../WebUi.class").statusCode(), is(404));
    assertThat(client.get("/static/app.js").statusCode(), is(200));
  }
}
