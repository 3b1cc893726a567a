package dev.millrace.runner.web;

import dev.millrace.engine.checkpoint.CheckpointRecord;
import dev.millrace.runner.monitor.JobViews;
import dev.millrace.runner.monitor.MonitoredJob;
import dev.millrace.runner.monitor.MonitoredJobs;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The UI's pages, rendered here with the figures of the moment; {@code app.js} then keeps their
 * numbers live from the REST API. No build chain: HTML, a style sheet, plain JavaScript and SVG.
 */
final class Pages {
  private final MonitoredJobs jobs;

  Pages(MonitoredJobs jobs) {
    this.jobs = jobs;
  }

  static String escape(Object value) {
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static String page(String title, String bodyAttributes, String content) {
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<title>"
        + escape(title)
        + " · Millrace</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>"
        + "<body "
        + bodyAttributes
        + "><header><a class=\"brand\" href=\"/\">Millrace</a><span class=\"where\">"
        + escape(title)
        + "</span></header><main>"
        + content
        + "</main><script src=\"/static/app.js\"></script></body></html>\n";
  }

  String jobsPage() {
    StringBuilder rows = new StringBuilder();
    for (MonitoredJob job : jobs.all()) {
      rows.append(jobRow(JobViews.summary(job)));
    }
    String content =
        "<h1>Jobs</h1><table class=\"jobs\"><thead><tr><th>Job</th><th>Id</th><th>SDK</th>"
            + "<th>Environment</th><th>State</th><th>Started</th><th>Duration</th>"
            + "<th>Records read</th></tr></thead><tbody id=\"jobs\">"
            + rows
            + "</tbody></table>"
            + (rows.isEmpty() ? "<p class=\"empty\" id=\"no-jobs\">No jobs yet.</p>" : "");
    return page("Jobs", "data-page=\"jobs\"", content);
  }

  static String jobRow(JobViews.JobSummary job) {
    return "<tr class=\"job\" data-job=\""
        + escape(job.id())
        + "\"><td><a href=\"/jobs/"
        + escape(job.id())
        + "\">"
        + escape(job.name())
        + "</a></td><td>"
        + escape(job.id())
        + "</td><td>"
        + escape(job.sdk())
        + "</td><td>"
        + escape(job.environment())
        + "</td><td><span class=\"state "
        + escape(job.state())
        + "\">"
        + escape(job.state())
        + "</span></td><td>"
        + escape(Instant.ofEpochMilli(job.startedAtMillis()))
        + "</td><td>"
        + escape(seconds(job.durationMillis()))
        + "</td><td class=\"num\">"
        + job.recordsRead()
        + "</td></tr>";
  }

  static String seconds(long millis) {
    return String.format("%.1f s", millis / 1000.0);
  }

  private String nav(MonitoredJob job, String current) {
    StringBuilder nav = new StringBuilder("<nav class=\"tabs\">");
    String[][] tabs = {
      {"", "Overview"},
      {"checkpoints", "Checkpoints"},
      {"metrics", "Metrics"},
      {"errors", "Errors"},
      {"explain", "Explain"}
    };
    for (String[] tab : tabs) {
      nav.append("<a href=\"/jobs/")
          .append(escape(job.id()))
          .append(tab[0].isEmpty() ? "" : "/" + tab[0])
          .append("\"")
          .append(tab[0].equals(current) ? " class=\"current\"" : "")
          .append(">")
          .append(tab[1])
          .append("</a>");
    }
    return nav.append("</nav>").toString();
  }

  private String jobHeader(MonitoredJob job, JobViews.JobSummary summary) {
    return "<h1>"
        + escape(job.name())
        + " <span id=\"state\" class=\"state "
        + escape(summary.state())
        + "\">"
        + escape(summary.state())
        + "</span></h1><p class=\"facts\">"
        + escape(job.id())
        + " · "
        + escape(summary.sdk())
        + " · "
        + escape(summary.environment())
        + " · "
        + (summary.streaming() ? "streaming" : "batch")
        + " · started "
        + escape(Instant.ofEpochMilli(summary.startedAtMillis()))
        + " · <span id=\"duration\">"
        + escape(seconds(summary.durationMillis()))
        + "</span> · <span id=\"records-read\">"
        + summary.recordsRead()
        + "</span> records read</p>"
        + "<div class=\"actions\"><button data-action=\"cancel\">Cancel</button>"
        + "<button data-action=\"drain\">Drain</button>"
        + "<button data-action=\"checkpoint\">Checkpoint now</button>"
        + "<span id=\"action-result\"></span></div>";
  }

  private static String jobAttributes(MonitoredJob job, String page) {
    return "data-page=\"" + page + "\" data-job=\"" + escape(job.id()) + "\"";
  }

  String jobPage(MonitoredJob job) {
    JobViews.JobDetail detail = JobViews.detail(job);
    StringBuilder content = new StringBuilder();
    content.append(jobHeader(job, detail.job())).append(nav(job, ""));
    content.append("<h2>Plan</h2>").append(graph(detail));
    content.append(
        "<h2>Vertices</h2><table class=\"vertices\"><thead><tr><th>Vertex</th><th>Records in</th>"
            + "<th>Records out</th><th>In/s</th><th>Queue</th><th>Input watermark</th>"
            + "<th>Output watermark</th><th>Lag</th><th>Held by</th><th>Since</th><th>State</th>"
            + "</tr></thead>"
            + "<tbody>");
    Map<Integer, JobViews.VertexPlan> plans = new HashMap<>();
    for (JobViews.VertexPlan plan : detail.plan().vertices()) {
      plans.put(plan.id(), plan);
    }
    for (JobViews.VertexView vertex : detail.vertices()) {
      JobViews.VertexPlan plan = plans.get(vertex.id());
      String p = "row-v" + vertex.id();
      content
          .append("<tr class=\"vertex\" id=\"")
          .append(p)
          .append("\"><td><details><summary>v")
          .append(vertex.id())
          .append(" ")
          .append(escape(vertex.name()))
          .append(" ×")
          .append(plan.parallelism())
          .append("</summary><ol class=\"transforms\">");
      for (String transform : plan.transforms()) {
        content.append("<li>").append(escape(transform)).append("</li>");
      }
      content
          .append(
              "</ol><table class=\"subtasks\"><thead><tr><th>Subtask</th><th>In</th><th>Out</th>"
                  + "<th>In/s</th><th>Queue</th><th>Output watermark</th><th>Held by</th></tr>"
                  + "</thead><tbody id=\"")
          .append(p)
          .append("-subtasks\">");
      for (JobViews.SubtaskView s : vertex.subtasks()) {
        content
            .append("<tr><td>")
            .append(s.subtask())
            .append("</td><td class=\"num\">")
            .append(s.recordsIn())
            .append("</td><td class=\"num\">")
            .append(s.recordsOut())
            .append("</td><td class=\"num\">")
            .append(Math.round(s.recordsInPerSecond()))
            .append("</td><td class=\"num\">")
            .append(s.queued())
            .append("/")
            .append(s.queueCapacity())
            .append("</td><td>")
            .append(escape(s.outputWatermarkText()))
            .append("</td><td>")
            .append(escape(s.watermarkHeldBy() == null ? "" : s.watermarkHeldBy()))
            .append("</td></tr>");
      }
      content.append("</tbody></table></details></td>");
      cell(content, p + "-in", vertex.recordsIn(), true);
      cell(content, p + "-out", vertex.recordsOut(), true);
      cell(content, p + "-rate", Math.round(vertex.recordsInPerSecond()), true);
      cell(content, p + "-fill", Math.round(vertex.queueFill() * 100) + "%", true);
      cell(content, p + "-inwm", vertex.inputWatermarkText(), false);
      cell(content, p + "-outwm", vertex.outputWatermarkText(), false);
      cell(
          content,
          p + "-lag",
          vertex.watermarkLagMillis() == null ? "" : seconds(vertex.watermarkLagMillis()),
          true);
      cell(
          content,
          p + "-held",
          vertex.watermarkHeldBy() == null ? "" : vertex.watermarkHeldBy(),
          false);
      cell(
          content,
          p + "-since",
          vertex.watermarkHeldSinceMillis() == 0
              ? ""
              : Instant.ofEpochMilli(vertex.watermarkHeldSinceMillis()),
          false);
      cell(content, p + "-state", JobViews.stateText(vertex.state()), false);
      content.append("</tr>");
    }
    content.append("</tbody></table>");
    return page(job.name(), jobAttributes(job, "job"), content.toString());
  }

  private static void cell(StringBuilder out, String id, Object value, boolean number) {
    out.append("<td id=\"")
        .append(id)
        .append("\"")
        .append(number ? " class=\"num\"" : "")
        .append(">")
        .append(escape(value))
        .append("</td>");
  }

  /** The fused plan as SVG: vertices in columns by their distance from the sources. */
  static String graph(JobViews.JobDetail detail) {
    List<JobViews.VertexPlan> vertices = detail.plan().vertices();
    Map<Integer, Integer> layer = new HashMap<>();
    for (JobViews.VertexPlan v : vertices) {
      layer.put(v.id(), 0);
    }
    for (int round = 0; round < vertices.size(); round++) {
      boolean changed = false;
      for (JobViews.EdgePlan e : detail.plan().edges()) {
        int want = layer.get(e.from()) + 1;
        if (layer.get(e.to()) < want) {
          layer.put(e.to(), want);
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    Map<Integer, Integer> row = new HashMap<>();
    Map<Integer, Integer> rowsInLayer = new HashMap<>();
    int layers = 0;
    int rows = 0;
    for (JobViews.VertexPlan v : vertices) {
      int l = layer.get(v.id());
      int r = rowsInLayer.merge(l, 1, Integer::sum) - 1;
      row.put(v.id(), r);
      layers = Math.max(layers, l + 1);
      rows = Math.max(rows, r + 1);
    }
    int w = 230;
    int h = 140;
    int dx = 290;
    int dy = 160;
    StringBuilder svg = new StringBuilder();
    svg.append("<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(20 + layers * dx)
        .append("\" height=\"")
        .append(20 + rows * dy)
        .append(
            "\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\""
                + " markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\"/>"
                + "</marker></defs>");
    for (JobViews.EdgePlan e : detail.plan().edges()) {
      int x1 = 10 + layer.get(e.from()) * dx + w;
      int y1 = 10 + row.get(e.from()) * dy + h / 2;
      int x2 = 10 + layer.get(e.to()) * dx;
      int y2 = 10 + row.get(e.to()) * dy + h / 2;
      svg.append("<path class=\"edge\" d=\"M")
          .append(x1)
          .append(',')
          .append(y1)
          .append(" C")
          .append(x1 + 30)
          .append(',')
          .append(y1)
          .append(' ')
          .append(x2 - 30)
          .append(',')
          .append(y2)
          .append(' ')
          .append(x2)
          .append(',')
          .append(y2)
          .append("\" marker-end=\"url(#arrow)\"/><text class=\"edge-label\" x=\"")
          .append((x1 + x2) / 2)
          .append("\" y=\"")
          .append((y1 + y2) / 2 - 4)
          .append("\">")
          .append(escape(e.partitioning()))
          .append("</text>");
    }
    Map<Integer, JobViews.VertexView> views = new HashMap<>();
    for (JobViews.VertexView v : detail.vertices()) {
      views.put(v.id(), v);
    }
    for (JobViews.VertexPlan v : vertices) {
      int x = 10 + layer.get(v.id()) * dx;
      int y = 10 + row.get(v.id()) * dy;
      JobViews.VertexView view = views.get(v.id());
      String id = "v" + v.id();
      String name = v.name().length() > 27 ? v.name().substring(0, 26) + "…" : v.name();
      svg.append("<g class=\"vertex\" id=\"node-")
          .append(id)
          .append("\"><title>")
          .append(escape(v.name()))
          .append(" — ")
          .append(v.transforms().size())
          .append(" transforms fused</title><rect x=\"")
          .append(x)
          .append("\" y=\"")
          .append(y)
          .append("\" width=\"")
          .append(w)
          .append("\" height=\"")
          .append(h)
          .append("\" rx=\"6\"/>");
      line(svg, x, y + 18, "name", id + " " + name, null);
      line(svg, x, y + 38, "fig", "×" + v.parallelism() + " subtasks", null);
      line(svg, x, y + 56, "fig", "in " + view.recordsIn(), id + "-in");
      line(svg, x, y + 74, "fig", "out " + view.recordsOut(), id + "-out");
      line(svg, x, y + 92, "fig", Math.round(view.recordsInPerSecond()) + " /s", id + "-rate");
      line(svg, x, y + 110, "fig", "wm " + view.outputWatermarkText(), id + "-wm");
      line(
          svg,
          x,
          y + 128,
          "fig",
          "queue " + Math.round(view.queueFill() * 100) + "%",
          id + "-fill");
      svg.append("</g>");
    }
    return svg.append("</svg>").toString();
  }

  private static void line(StringBuilder svg, int x, int y, String cls, String text, String id) {
    svg.append("<text class=\"")
        .append(cls)
        .append("\" x=\"")
        .append(x + 8)
        .append("\" y=\"")
        .append(y)
        .append("\"");
    if (id != null) {
      svg.append(" id=\"").append(id).append("\"");
    }
    svg.append(">").append(escape(text)).append("</text>");
  }

  String checkpointsPage(MonitoredJob job) {
    JobViews.CheckpointsView checkpoints = JobViews.checkpoints(job);
    StringBuilder content = new StringBuilder();
    content.append(jobHeader(job, JobViews.summary(job))).append(nav(job, "checkpoints"));
    if (!checkpoints.enabled()) {
      content.append(
          "<p class=\"empty\">This job takes no checkpoints: a batch job, a TestStream, or"
              + " --checkpointingInterval=0.</p>");
      return page(
          job.name() + " · checkpoints", jobAttributes(job, "checkpoints"), content.toString());
    }
    content
        .append("<p>Completed: <span id=\"completed\">")
        .append(checkpoints.completed())
        .append("</span>. ")
        .append(
            checkpoints.restoredFrom() == 0
                ? "Started fresh, from no checkpoint."
                : "Resumed from checkpoint " + checkpoints.restoredFrom() + ".")
        .append("</p>")
        .append(trend(checkpoints.history()))
        .append(
            "<table class=\"checkpoints\"><thead><tr><th>Id</th><th>Trigger</th><th>Started</th>"
                + "<th>Duration</th><th>Alignment</th><th>Size</th><th>Status</th></tr></thead>"
                + "<tbody id=\"checkpoints\">");
    List<CheckpointRecord> history = new ArrayList<>(checkpoints.history());
    java.util.Collections.reverse(history);
    for (CheckpointRecord c : history) {
      content.append(checkpointRow(c));
    }
    content.append("</tbody></table>");
    return page(
        job.name() + " · checkpoints", jobAttributes(job, "checkpoints"), content.toString());
  }

  static String checkpointRow(CheckpointRecord c) {
    return "<tr><td>"
        + c.id()
        + "</td><td>"
        + escape(c.trigger())
        + "</td><td>"
        + escape(Instant.ofEpochMilli(c.startedAtMillis()))
        + "</td><td class=\"num\">"
        + c.durationMillis()
        + " ms</td><td class=\"num\">"
        + c.alignmentMillis()
        + " ms</td><td class=\"num\">"
        + String.format("%.1f KB", c.bytes() / 1024.0)
        + "</td><td>"
        + escape(c.status())
        + "</td></tr>";
  }

  /** Duration and size of the latest checkpoints as two rows of bars. */
  private static String trend(List<CheckpointRecord> history) {
    List<CheckpointRecord> completed =
        history.stream().filter(c -> c.status().equals("COMPLETED")).toList();
    if (completed.isEmpty()) {
      return "<p class=\"empty\">No checkpoint completed yet.</p>";
    }
    long maxDuration =
        Math.max(1, completed.stream().mapToLong(CheckpointRecord::durationMillis).max().orElse(1));
    long maxBytes =
        Math.max(1, completed.stream().mapToLong(CheckpointRecord::bytes).max().orElse(1));
    StringBuilder svg = new StringBuilder("<svg class=\"trend\" width=\"620\" height=\"150\">");
    svg.append("<text x=\"0\" y=\"12\">duration (max ")
        .append(maxDuration)
        .append(" ms)</text><text x=\"0\" y=\"84\">size (max ")
        .append(String.format("%.1f KB", maxBytes / 1024.0))
        .append(")</text>");
    int n = completed.size();
    double bar = 600.0 / Math.max(n, 20);
    for (int i = 0; i < n; i++) {
      CheckpointRecord c = completed.get(i);
      double d = 50.0 * c.durationMillis() / maxDuration;
      double s = 50.0 * c.bytes() / maxBytes;
      svg.append(
          String.format(
              "<rect class=\"duration\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%d: %d ms</title></rect>",
              i * bar, 68 - d, bar * 0.8, d, c.id(), c.durationMillis()));
      svg.append(
          String.format(
              "<rect class=\"size\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%d: %d bytes</title></rect>",
              i * bar, 140 - s, bar * 0.8, s, c.id(), c.bytes()));
    }
    return svg.append("</svg>").toString();
  }

  String metricsPage(MonitoredJob job) {
    StringBuilder content = new StringBuilder();
    content.append(jobHeader(job, JobViews.summary(job))).append(nav(job, "metrics"));
    content.append(
        "<table class=\"metrics\"><thead><tr><th>Step</th><th>Namespace</th><th>Name</th>"
            + "<th>Kind</th><th>Attempted</th><th>Committed</th></tr></thead><tbody id=\"metrics\">");
    for (JobViews.MetricView m : JobViews.metrics(job)) {
      content.append(metricRow(m));
    }
    content.append("</tbody></table>");
    return page(job.name() + " · metrics", jobAttributes(job, "metrics"), content.toString());
  }

  static String metricRow(JobViews.MetricView m) {
    return "<tr><td>"
        + escape(m.step())
        + "</td><td>"
        + escape(m.namespace())
        + "</td><td>"
        + escape(m.name())
        + "</td><td>"
        + escape(m.kind())
        + "</td><td class=\"num\">"
        + escape(m.attempted())
        + "</td><td class=\"num\">"
        + escape(m.committed() == null ? "" : m.committed())
        + "</td></tr>";
  }

  String errorsPage(MonitoredJob job) {
    StringBuilder content = new StringBuilder();
    content.append(jobHeader(job, JobViews.summary(job))).append(nav(job, "errors"));
    JobViews.FailureView failure = JobViews.failure(job);
    if (failure == null) {
      content.append("<p class=\"empty\" id=\"no-failure\">No failure.</p>");
    } else {
      content
          .append("<div class=\"failure\"><p class=\"message\">")
          .append(escape(failure.message()))
          .append("</p><p>In: <span class=\"step\">")
          .append(escape(failure.step() == null ? "outside the job's subtasks" : failure.step()))
          .append("</span></p><pre class=\"trace\">")
          .append(escape(failure.stackTrace()))
          .append("</pre></div>");
    }
    return page(job.name() + " · errors", jobAttributes(job, "errors"), content.toString());
  }

  String explainPage(MonitoredJob job) {
    String id = escape(job.id());
    String content =
        jobHeader(job, JobViews.summary(job))
            + nav(job, "explain")
            + "<p>Download: <a href=\"/api/v1/jobs/"
            + id
            + "/plan.txt\">text</a> · <a href=\"/api/v1/jobs/"
            + id
            + "/plan.dot\">DOT</a> · <a href=\"/api/v1/jobs/"
            + id
            + "/plan\">JSON</a></p><pre class=\"plan\">"
            + escape(job.result().explain())
            + "</pre>";
    return page(job.name() + " · explain", jobAttributes(job, "explain"), content);
  }
}
