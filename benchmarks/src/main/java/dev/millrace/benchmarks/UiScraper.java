package dev.millrace.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * For the {@code millrace-streaming-ui} column: what Prometheus and a browser would do to a watched
 * job, once a second, from this JVM (so their cost counts against the job): scrape {@code
 * /metrics}, read the jobs list and every job's page data.
 */
final class UiScraper {
  private static int port;
  private static Thread thread;
  private static final Pattern JOB_ID = Pattern.compile("\"id\":\"(job[0-9]+)\"");

  private UiScraper() {}

  /** The port the column's UI serves on: free when first asked. */
  static synchronized int port() {
    if (port == 0) {
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return port;
  }

  static synchronized void startOnce() {
    if (thread != null) {
      return;
    }
    String base = "http://localhost:" + port();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    thread =
        new Thread(
            () -> {
              while (true) {
                try {
                  Thread.sleep(1_000);
                  get(http, base + "/metrics");
                  Matcher jobs = JOB_ID.matcher(get(http, base + "/api/v1/jobs"));
                  while (jobs.find()) {
                    get(http, base + "/api/v1/jobs/" + jobs.group(1));
                  }
                } catch (InterruptedException e) {
                  return;
                } catch (IOException e) {
                  // The UI starts with the job: nothing to scrape before it.
                }
              }
            },
            "bench-ui-scraper");
    thread.setDaemon(true);
    thread.start();
  }

  private static String get(HttpClient http, String url) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
