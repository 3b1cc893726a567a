package dev.millrace.runner.web;

import com.sun.net.httpserver.HttpExchange;
import dev.millrace.runner.monitor.JobViews;
import dev.millrace.runner.monitor.MonitoredJob;
import dev.millrace.runner.monitor.MonitoredJobs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/v1}: the jobs of this JVM as JSON, and the actions on them. The pages read the same
 * answers. Documented, with a {@code curl} for each, in the job server's README.
 */
final class RestApi {
  static final String PREFIX = "/api/v1";

  private final MonitoredJobs jobs;
  private final ActionGuard guard;

  RestApi(MonitoredJobs jobs, ActionGuard guard) {
    this.jobs = jobs;
    this.guard = guard;
  }

  void handle(HttpExchange exchange, String path) throws IOException {
    String[] parts = path.substring(PREFIX.length()).replaceAll("^/+|/+$", "").split("/");
    if (parts.length == 0 || !parts[0].equals("jobs")) {
      Http.error(exchange, 404, "no such resource: " + path);
      return;
    }
    boolean post = exchange.getRequestMethod().equals("POST");
    if (!post && !exchange.getRequestMethod().equals("GET")) {
      Http.error(exchange, 405, exchange.getRequestMethod() + " is not served here");
      return;
    }
    if (parts.length == 1) {
      if (post) {
        Http.error(exchange, 405, "jobs are submitted through the job service, not here");
        return;
      }
      List<JobViews.JobSummary> all = new ArrayList<>();
      for (MonitoredJob job : jobs.all()) {
        all.add(JobViews.summary(job));
      }
      Http.json(exchange, 200, all);
      return;
    }
    Optional<MonitoredJob> found = jobs.get(parts[1]);
    if (found.isEmpty()) {
      Http.error(exchange, 404, "no job " + parts[1] + " on this server");
      return;
    }
    MonitoredJob job = found.get();
    String what = parts.length == 2 ? "" : parts[2];
    if (post) {
      act(exchange, job, what);
      return;
    }
    switch (what) {
      case "" -> Http.json(exchange, 200, JobViews.detail(job));
      case "plan" -> Http.json(exchange, 200, JobViews.plan(job));
      case "plan.dot" ->
          Http.text(exchange, 200, "text/vnd.graphviz; charset=utf-8", PlanDot.of(job));
      case "plan.txt" ->
          Http.text(exchange, 200, "text/plain; charset=utf-8", job.result().explain());
      case "vertices" -> Http.json(exchange, 200, JobViews.vertices(job));
      case "checkpoints" -> Http.json(exchange, 200, JobViews.checkpoints(job));
      case "metrics" -> Http.json(exchange, 200, JobViews.metrics(job));
      case "exceptions" -> {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("failure", JobViews.failure(job));
        Http.json(exchange, 200, body);
      }
      default -> Http.error(exchange, 404, "no such resource: " + path);
    }
  }

  private void act(HttpExchange exchange, MonitoredJob job, String action) throws IOException {
    if (!List.of("cancel", "drain", "checkpoint").contains(action)) {
      Http.error(exchange, 404, "no action '" + action + "': cancel, drain or checkpoint");
      return;
    }
    String refusal = guard.refusal(exchange);
    if (refusal != null) {
      Http.error(exchange, 403, refusal);
      return;
    }
    if (!job.isRunning()) {
      Http.error(exchange, 409, "job " + job.id() + " has ended " + job.state());
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("job", job.id());
    body.put("action", action);
    switch (action) {
      case "cancel" -> job.result().requestCancel();
      case "drain" -> job.result().requestDrain();
      default -> {
        long id = job.attempt().checkpointNow();
        if (id == 0) {
          Http.error(
              exchange,
              409,
              job.attempt().takesCheckpoints()
                  ? "a checkpoint is being taken already; try again once it completed"
                  : "job "
                      + job.id()
                      + " takes no checkpoints (a batch job, or"
                      + " --checkpointingInterval=0)");
          return;
        }
        body.put("checkpoint", id);
      }
    }
    Http.json(exchange, 202, body);
  }
}
