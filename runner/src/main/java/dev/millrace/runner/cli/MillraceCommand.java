package dev.millrace.runner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code millrace}: a running Millrace's jobs from the command line, through its REST API. Every
 * error is one line on standard error; exit codes: 0 done, 1 the server refused or failed, 2 a
 * wrong command line, 3 no server at the address.
 */
public final class MillraceCommand {
  static final int OK = 0;
  static final int REFUSED = 1;
  static final int USAGE = 2;
  static final int NO_SERVER = 3;

  static final String USAGE_TEXT =
      """
      Usage: millrace [--url URL] [--token TOKEN] COMMAND [JOB]
        list               the server's jobs, running and finished
        status JOB         a job's state and its vertices' figures
        watch JOB          status, refreshed every second until the job ends
        cancel JOB         stop a job (it ends CANCELLED)
        drain JOB          end a job's input and let it finish (it ends DONE)
        checkpoint JOB     take a checkpoint now
        explain JOB [--format text|dot|json]   the fused plan
        metrics JOB        the job's Beam metrics, attempted and committed
      URL defaults to $MILLRACE_URL, else http://localhost:8081; TOKEN to $MILLRACE_TOKEN.
      """;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;
  private final PrintStream err;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private String url;
  private String token;

  MillraceCommand(PrintStream out, PrintStream err, String url, String token) {
    this.out = out;
    this.err = err;
    this.url = url;
    this.token = token;
  }

  public static void main(String[] args) {
    String url = System.getenv().getOrDefault("MILLRACE_URL", "http://localhost:8081");
    String token = System.getenv("MILLRACE_TOKEN");
    System.exit(new MillraceCommand(System.out, System.err, url, token).run(args));
  }

  /** Runs {@code args}; returns the exit code. */
  int run(String[] args) {
    List<String> rest = new ArrayList<>();
    String format = "text";
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if ((arg.equals("--url") || arg.equals("--token") || arg.equals("--format"))
          && i + 1 >= args.length) {
        return usage(arg + " needs a value");
      }
      switch (arg) {
        case "--url" -> url = args[++i];
        case "--token" -> token = args[++i];
        case "--format" -> format = args[++i];
        case "-h", "--help", "help" -> {
          out.print(USAGE_TEXT);
          return OK;
        }
        default -> {
          if (arg.startsWith("--")) {
            return usage("unknown option " + arg);
          }
          rest.add(arg);
        }
      }
    }
    if (rest.isEmpty()) {
      return usage("no command");
    }
    url = url.replaceAll("/+$", "");
    String command = rest.get(0);
    try {
      if (command.equals("list")) {
        return rest.size() == 1 ? list() : usage("list takes no job");
      }
      if (!List.of("status", "watch", "cancel", "drain", "checkpoint", "explain", "metrics")
          .contains(command)) {
        return usage("unknown command " + command);
      }
      if (rest.size() != 2) {
        return usage(command + " needs one job id (see millrace list)");
      }
      String job = rest.get(1);
      return switch (command) {
        case "status" -> status(job);
        case "watch" -> watch(job);
        case "explain" -> explain(job, format);
        case "metrics" -> metrics(job);
        default -> act(job, command);
      };
    } catch (NoServer e) {
      err.println(
          "millrace: no Millrace at "
              + url
              + " ("
              + e.getMessage()
              + "); start the job server, or pass --url");
      return NO_SERVER;
    } catch (Refused e) {
      err.println("millrace: " + e.getMessage());
      return REFUSED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return REFUSED;
    }
  }

  private int usage(String problem) {
    err.println("millrace: " + problem + " (millrace --help for usage)");
    return USAGE;
  }

  /** The server answered with an error. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  /** Nothing answered at the address. */
  static final class NoServer extends Exception {
    NoServer(String message) {
      super(message);
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request)
      throws NoServer, InterruptedException {
    try {
      return http.send(
          request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new NoServer("connection refused");
    } catch (IOException e) {
      throw new NoServer(e.getMessage() == null ? e.toString() : e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new NoServer("not an address: " + e.getMessage());
    }
  }

  private String get(String path) throws NoServer, Refused, InterruptedException {
    HttpRequest.Builder request;
    try {
      request = HttpRequest.newBuilder(URI.create(url + path)).GET();
    } catch (IllegalArgumentException e) {
      throw new NoServer("not an address: " + url);
    }
    HttpResponse<String> response = send(request);
    if (response.statusCode() != 200) {
      throw new Refused(errorOf(response));
    }
    return response.body();
  }

  private JsonNode json(String path) throws NoServer, Refused, InterruptedException {
    String body = get(path);
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new Refused(url + path + " did not answer JSON: is this a Millrace?");
    }
  }

  private static String errorOf(HttpResponse<String> response) {
    try {
      JsonNode error = JSON.readTree(response.body()).get("error");
      if (error != null) {
        return error.asText();
      }
    } catch (IOException e) {
      // Not ours: say what came back.
    }
    return "the server answered " + response.statusCode();
  }

  private int list() throws NoServer, Refused, InterruptedException {
    JsonNode jobs = json("/api/v1/jobs");
    out.printf(
        "%-8s %-10s %-10s %10s %14s  %s%n", "ID", "STATE", "SDK", "DURATION", "RECORDS", "NAME");
    for (JsonNode job : jobs) {
      out.printf(
          "%-8s %-10s %-10s %9.1fs %14d  %s%n",
          job.get("id").asText(),
          job.get("state").asText(),
          job.get("sdk").asText(),
          job.get("durationMillis").asLong() / 1000.0,
          job.get("recordsRead").asLong(),
          job.get("name").asText());
    }
    return OK;
  }

  private int status(String job) throws NoServer, Refused, InterruptedException {
    out.print(statusText(json("/api/v1/jobs/" + job)));
    return OK;
  }

  static String statusText(JsonNode detail) {
    JsonNode job = detail.get("job");
    StringBuilder text = new StringBuilder();
    text.append(
        String.format(
            "%s %s  %s  %s/%s  %s  %.1f s  %d records read%n",
            job.get("id").asText(),
            job.get("name").asText(),
            job.get("state").asText(),
            job.get("sdk").asText(),
            job.get("environment").asText(),
            job.get("streaming").asBoolean() ? "streaming" : "batch",
            job.get("durationMillis").asLong() / 1000.0,
            job.get("recordsRead").asLong()));
    text.append(
        String.format(
            "%-4s %-34s %12s %12s %10s %6s  %-24s %s%n",
            "", "VERTEX", "IN", "OUT", "IN/S", "QUEUE", "OUTPUT WATERMARK", "HELD BY"));
    for (JsonNode v : detail.get("vertices")) {
      String name = v.get("name").asText();
      text.append(
          String.format(
              "v%-3d %-34s %12d %12d %10.0f %5.0f%%  %-24s %s%n",
              v.get("id").asInt(),
              name.length() > 34 ? name.substring(0, 33) + "…" : name,
              v.get("recordsIn").asLong(),
              v.get("recordsOut").asLong(),
              v.get("recordsInPerSecond").asDouble(),
              v.get("queueFill").asDouble() * 100,
              v.get("outputWatermarkText").asText(),
              v.get("watermarkHeldBy").isNull() ? "" : v.get("watermarkHeldBy").asText()));
    }
    JsonNode failure = detail.get("failure");
    if (failure != null && !failure.isNull()) {
      text.append("failed in ")
          .append(failure.get("step").isNull() ? "?" : failure.get("step").asText())
          .append(": ")
          .append(failure.get("message").asText())
          .append('\n');
    }
    return text.toString();
  }

  private int watch(String job) throws NoServer, Refused, InterruptedException {
    boolean terminal = System.console() != null;
    while (true) {
      JsonNode detail = json("/api/v1/jobs/" + job);
      if (terminal) {
        out.print("\033[H\033[2J");
      }
      out.print(statusText(detail));
      if (!terminal) {
        out.println("-- " + Instant.now());
      }
      out.flush();
      if (!detail.get("job").get("state").asText().equals("RUNNING")) {
        return OK;
      }
      Thread.sleep(1_000);
    }
  }

  private int act(String job, String action) throws NoServer, Refused, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + "/api/v1/jobs/" + job + "/" + action))
            .header("X-Requested-By", "millrace")
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null && !token.isEmpty()) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response = send(request);
    if (response.statusCode() != 202) {
      throw new Refused(errorOf(response));
    }
    JsonNode answer;
    try {
      answer = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new Refused("the server accepted " + action + " but its answer was not JSON");
    }
    out.println(
        action
            + (answer.has("checkpoint") ? " " + answer.get("checkpoint").asLong() : "")
            + " of "
            + job
            + " accepted");
    return OK;
  }

  private int explain(String job, String format) throws NoServer, Refused, InterruptedException {
    String path =
        switch (format) {
          case "text" -> "/plan.txt";
          case "dot" -> "/plan.dot";
          case "json" -> "/plan";
          default -> null;
        };
    if (path == null) {
      return usage("--format is text, dot or json, not " + format);
    }
    out.print(get("/api/v1/jobs/" + job + path));
    return OK;
  }

  private int metrics(String job) throws NoServer, Refused, InterruptedException {
    JsonNode metrics = json("/api/v1/jobs/" + job + "/metrics");
    out.printf(
        "%-40s %-16s %-20s %-12s %s | %s%n",
        "STEP", "NAMESPACE", "NAME", "KIND", "ATTEMPTED", "COMMITTED");
    for (JsonNode m : metrics) {
      out.printf(
          "%-40s %-16s %-20s %-12s %s | %s%n",
          m.get("step").asText(),
          m.get("namespace").asText(),
          m.get("name").asText(),
          m.get("kind").asText(),
          m.get("attempted"),
          m.get("committed"));
    }
    return OK;
  }
}
