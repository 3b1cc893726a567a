package dev.millrace.runner.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import dev.millrace.runner.MillracePipelineResult;
import dev.millrace.runner.monitor.MonitoredJobs;
import dev.millrace.runner.web.WebUi;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.joda.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code millrace} command against a real UI and a running job. */
@Timeout(120)
class MillraceCommandTest {
  private static WebUi ui;

  @BeforeAll
  static void startUi() throws Exception {
    ui = WebUi.start("localhost", 0, null, MonitoredJobs.ofThisJvm());
  }

  @AfterAll
  static void stopUi() {
    ui.close();
  }

  /** What one run printed, and its exit code. */
  record Ran(int code, String out, String err) {}

  static Ran runAt(String url, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new MillraceCommand(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                url,
                null)
            .run(args);
    return new Ran(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Ran run(String... args) {
    return runAt(ui.url(), args);
  }

  static MillracePipelineResult streamingJob() {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=MillraceRunner",
                    "--parallelism=1",
                    "--streaming",
                    "--checkpointingInterval=60000",
                    "--consoleProgress=false")
                .create());
    p.apply(GenerateSequence.from(0).withRate(200, Duration.standardSeconds(1)))
        .apply(Window.into(FixedWindows.of(Duration.millis(500))))
        .apply(Count.perElement());
    return (MillracePipelineResult) p.run();
  }

  @Test
  void listStatusCheckpointMetricsExplainAndCancelARunningJob() throws Exception {
    MillracePipelineResult job = streamingJob();
    try {
      Ran list = run("list");
      assertThat(list.err(), list.code(), is(0));
      assertThat(list.out(), startsWith("ID"));
      assertThat(list.out(), containsString(job.id()));
      Ran status = run("status", job.id());
      assertThat(status.code(), is(0));
      assertThat(status.out(), containsString("RUNNING"));
      assertThat(status.out(), containsString("v0 "));
      assertThat(status.out(), containsString("HELD BY"));
      Ran checkpoint = run("checkpoint", job.id());
      assertThat(checkpoint.err(), checkpoint.code(), is(0));
      assertThat(checkpoint.out(), containsString("checkpoint 1 of " + job.id() + " accepted"));
      assertThat(run("metrics", job.id()).out(), startsWith("STEP"));
      assertThat(run("explain", job.id(), "--format", "dot").out(), startsWith("digraph"));
      assertThat(run("explain", job.id()).out(), containsString("streaming job"));
      Ran cancel = run("cancel", job.id());
      assertThat(cancel.code(), is(0));
      assertThat(
          job.waitUntilFinish(Duration.standardSeconds(30)), is(PipelineResult.State.CANCELLED));
      Ran again = run("cancel", job.id());
      assertThat(again.code(), is(1));
      assertThat(again.err(), is("millrace: job " + job.id() + " has ended CANCELLED\n"));
      Ran watch = run("watch", job.id());
      assertThat("watch ends with the job", watch.code(), is(0));
      assertThat(watch.out(), containsString("CANCELLED"));
    } finally {
      job.cancel();
    }
  }

  @Test
  void errorsAreOneLineWithTheUsualExitCodes() throws Exception {
    Ran unknown = run("status", "no-such-job");
    assertThat(unknown.code(), is(1));
    assertThat(unknown.err(), is("millrace: no job no-such-job on this server\n"));
    assertThat(run("frob").code(), is(2));
    assertThat(run("status").code(), is(2));
    assertThat(run().code(), is(2));
    assertThat(run("explain", "x", "--format", "png").code(), is(2));
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Ran noServer = runAt("http://localhost:" + closed, "list");
    assertThat(noServer.code(), is(3));
    assertThat(noServer.err().lines().count(), is(1L));
    assertThat(noServer.err(), startsWith("millrace: no Millrace at http://localhost:" + closed));
    Ran help = run("--help");
    assertThat(help.code(), is(0));
    assertThat(help.out(), containsString("watch JOB"));
  }
}
