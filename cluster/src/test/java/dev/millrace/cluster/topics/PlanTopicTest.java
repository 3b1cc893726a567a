package dev.millrace.cluster.topics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import dev.millrace.cluster.testing.OnTestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Publishing a job and reading it back as a worker, on a real broker. */
@Timeout(120)
class PlanTopicTest extends OnTestBroker {

  private static PlanTopic topicOf(String job) throws Exception {
    try (var admin = broker.admin()) {
      JobTopics.of(job, JobTopicsTest.plan(4), 2).ensure(admin);
    }
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", broker.bootstrapServers());
    return new PlanTopic(kafka, job);
  }

  private static JobDefinition definition(String pipeline, String fingerprint) {
    return new JobDefinition(
        pipeline.getBytes(StandardCharsets.UTF_8),
        Map.of("parallelism", "2", "streaming", "true"),
        fingerprint);
  }

  @Test
  void aWorkerReadsWhatWasPublishedUnderItsJobName() throws Exception {
    PlanTopic topic = topicOf("counts");
    assertThat("nothing before it is published", topic.current().isPresent(), is(false));
    topic.publish(definition("the pipeline", "f1"));
    topic.publish(definition("the pipeline", "f1")); // again, by a second submitter: harmless
    JobDefinition read = topic.readFor("f1", Duration.ofSeconds(30));
    assertThat(new String(read.pipeline(), StandardCharsets.UTF_8), is("the pipeline"));
    assertThat(read.options(), is(Map.of("parallelism", "2", "streaming", "true")));
  }

  @Test
  void anotherPlanUnderTheSameNameIsRefusedAndSoIsAWorkerWithAnotherFingerprint() throws Exception {
    PlanTopic topic = topicOf("guarded");
    topic.publish(definition("first", "f1"));
    IllegalStateException publish =
        Assertions.assertThrows(
            IllegalStateException.class, () -> topic.publish(definition("second", "f2")));
    assertThat(publish.getMessage(), containsString("job guarded already runs another plan"));
    IllegalStateException worker =
        Assertions.assertThrows(
            IllegalStateException.class, () -> topic.readFor("f9", Duration.ofSeconds(30)));
    assertThat(
        worker.getMessage(), containsString("has fingerprint f9 where the published one has f1"));
  }

  @Test
  void aWorkerOfAJobNobodyPublishedSaysSoAfterItsWait() throws Exception {
    Properties kafka = new Properties();
    kafka.put("bootstrap.servers", broker.bootstrapServers());
    IllegalStateException missing =
        Assertions.assertThrows(
            IllegalStateException.class,
            () -> new PlanTopic(kafka, "nobody").readFor("f1", Duration.ofSeconds(1)));
    assertThat(missing.getMessage(), containsString("no job nobody was published"));
  }

  @Test
  void aDefinitionRoundTripsAndADamagedOneIsRefused() {
    JobDefinition definition = definition("bytes", "abc");
    JobDefinition back = JobDefinition.decode(definition.encode());
    assertThat(back.fingerprint(), is("abc"));
    assertThat(new String(back.pipeline(), StandardCharsets.UTF_8), is("bytes"));
    byte[] cut = java.util.Arrays.copyOf(definition.encode(), 20);
    assertThat(
        Assertions.assertThrows(IllegalArgumentException.class, () -> JobDefinition.decode(cut))
            .getMessage(),
        containsString("damaged"));
  }
}
