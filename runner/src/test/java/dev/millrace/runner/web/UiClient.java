package dev.millrace.runner.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;

/** Talks to a web UI the way a browser or curl would. */
final class UiClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  UiClient(WebUi ui) {
    this.base = "http://localhost:" + ui.port();
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  JsonNode json(String path) throws Exception {
    HttpResponse<String> response = get(path);
    if (response.statusCode() != 200) {
      throw new AssertionError(
          path + " answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body());
  }

  HttpResponse<String> post(String path, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Reads {@code path} until {@code until} holds, for at most {@code seconds}. */
  JsonNode await(String path, Predicate<JsonNode> until, int seconds) throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = json(path);
      if (until.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("after " + seconds + " s, " + path + " still answers " + last);
  }
}
