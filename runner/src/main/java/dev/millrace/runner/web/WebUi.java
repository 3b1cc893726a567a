package dev.millrace.runner.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.millrace.runner.monitor.MonitoredJob;
import dev.millrace.runner.monitor.MonitoredJobs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web UI, the REST API ({@code /api/v1}) and Prometheus's {@code /metrics}, on one port, for
 * the jobs of this JVM. Served by the JDK's own HTTP server on two daemon threads: a scrape or a
 * page never runs on a job's threads, and reads only figures the job publishes anyway.
 */
public final class WebUi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebUi.class);

  /** The UIs this JVM serves, by port asked for, so several pipelines share one. */
  private static final Map<Integer, WebUi> STARTED = new HashMap<>();

  private final HttpServer server;
  private final ExecutorService threads;
  private final String host;
  private final MonitoredJobs jobs;
  private final Pages pages;
  private final RestApi api;

  private WebUi(
      HttpServer server,
      ExecutorService threads,
      String host,
      MonitoredJobs jobs,
      ActionGuard guard) {
    this.server = server;
    this.threads = threads;
    this.host = host;
    this.jobs = jobs;
    this.pages = new Pages(jobs);
    this.api = new RestApi(jobs, guard);
  }

  /**
   * Serves {@code jobs} on {@code host}:{@code port} (0: a free port). Actions are allowed to
   * anyone when {@code host} is loopback, else only with {@code token} (null or empty: refused).
   */
  public static WebUi start(String host, int port, String token, MonitoredJobs jobs)
      throws IOException {
    InetAddress address = InetAddress.getByName(host);
    HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 64);
    ExecutorService threads =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "millrace-web-ui");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(threads);
    WebUi ui =
        new WebUi(server, threads, host, jobs, new ActionGuard(address.isLoopbackAddress(), token));
    server.createContext("/", ui::serve);
    server.start();
    if (!address.isLoopbackAddress()) {
      LOG.warn(
          "The web UI on {} can be reached from other machines; actions (cancel, drain, checkpoint)"
              + " need its token{}",
          host,
          token == null || token.isEmpty() ? ", and none was given, so they are refused" : "");
    }
    LOG.info("Millrace web UI at {}", ui.url());
    return ui;
  }

  /**
   * The UI of this JVM's jobs on {@code port}, started on first use: every in-process pipeline
   * asking for the same port shares it.
   */
  public static synchronized WebUi startOnce(String host, int port, String token)
      throws IOException {
    WebUi ui = port == 0 ? null : STARTED.get(port);
    if (ui == null) {
      ui = start(host, port, token, MonitoredJobs.ofThisJvm());
      STARTED.put(port == 0 ? ui.port() : port, ui);
    }
    return ui;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String url() {
    String shown = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + port() + "/";
  }

  private void serve(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    try {
      if (path.equals(RestApi.PREFIX) || path.startsWith(RestApi.PREFIX + "/")) {
        api.handle(exchange, path);
        return;
      }
      if (!exchange.getRequestMethod().equals("GET")
          && !exchange.getRequestMethod().equals("HEAD")) {
        Http.error(exchange, 405, exchange.getRequestMethod() + " is not served at " + path);
        return;
      }
      if (path.equals("/metrics")) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusExport.write(out);
        Http.send(exchange, 200, PrometheusExport.contentType(), out.toByteArray());
      } else if (path.equals("/")) {
        html(exchange, pages.jobsPage());
      } else if (path.startsWith("/static/")) {
        staticFile(exchange, path.substring("/static/".length()));
      } else if (path.startsWith("/jobs/")) {
        jobPage(exchange, path.substring("/jobs/".length()).split("/"));
      } else {
        Http.text(exchange, 404, "text/plain; charset=utf-8", "Not found: " + path + "\n");
      }
    } catch (RuntimeException e) {
      LOG.warn("The web UI could not answer {}", path, e);
      Http.error(exchange, 500, "could not answer " + path + ": " + e);
    }
  }

  private void jobPage(HttpExchange exchange, String[] parts) throws IOException {
    Optional<MonitoredJob> job = jobs.get(parts[0]);
    if (job.isEmpty()) {
      Http.text(
          exchange,
          404,
          "text/html; charset=utf-8",
          "<p>No job " + Pages.escape(parts[0]) + " on this server.</p>");
      return;
    }
    String tab = parts.length > 1 ? parts[1] : "";
    switch (tab) {
      case "" -> html(exchange, pages.jobPage(job.get()));
      case "checkpoints" -> html(exchange, pages.checkpointsPage(job.get()));
      case "metrics" -> html(exchange, pages.metricsPage(job.get()));
      case "errors" -> html(exchange, pages.errorsPage(job.get()));
      case "explain" -> html(exchange, pages.explainPage(job.get()));
      default -> Http.text(exchange, 404, "text/plain; charset=utf-8", "No page " + tab + "\n");
    }
  }

  private static void html(HttpExchange exchange, String page) throws IOException {
    Http.text(exchange, 200, "text/html; charset=utf-8", page);
  }

  private static void staticFile(HttpExchange exchange, String name) throws IOException {
    String type =
        name.endsWith(".js")
            ? "text/javascript; charset=utf-8"
            : name.endsWith(".css") ? "text/css; charset=utf-8" : null;
    InputStream in =
        type == null || name.contains("/")
            ? null
            : WebUi.class.getResourceAsStream("static/" + name);
    if (in == null) {
      Http.text(exchange, 404, "text/plain; charset=utf-8", "No file " + name + "\n");
      return;
    }
    try (in) {
      Http.send(exchange, 200, type, in.readAllBytes());
    }
  }

  @Override
  public void close() {
    synchronized (WebUi.class) {
      STARTED.values().remove(this);
    }
    server.stop(0);
    threads.shutdownNow();
  }
}
