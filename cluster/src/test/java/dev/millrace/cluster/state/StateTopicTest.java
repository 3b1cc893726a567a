package dev.millrace.cluster.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import dev.millrace.cluster.testing.OnTestBroker;
import dev.millrace.cluster.topics.JobTopics;
import dev.millrace.cluster.topics.JobTopicsTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's checkpoints through the job's state topic, on a real broker: sent inside transactions,
 * an unchanged (hard-linked) file not sent again, what no manifest names tombstoned, and the
 * committed checkpoint rebuilt byte for byte where an aborted later one is not seen.
 */
@Timeout(120)
class StateTopicTest extends OnTestBroker {
  private static final String JOB = "state";
  private static final String WORKER = "state-w1";

  @TempDir Path disk;

  @Test
  void aCommittedCheckpointComesBackWhereOnlyChangedFilesWereSentAgain() throws Exception {
    try (var admin = broker.admin()) {
      JobTopics.of(JOB, JobTopicsTest.plan(4), 2).ensure(admin);
    }
    byte[] big = new byte[CheckpointUpload.CHUNK_BYTES * 2 + 17]; // three chunks
    new Random(7).nextBytes(big);
    Path one = disk.resolve("chk-1");
    write(one.resolve("v1-s0/db/000007.sst"), big);
    write(one.resolve("v1-s0/db/MANIFEST-000005"), bytes("manifest one"));
    write(one.resolve("v2-s1/snapshot"), bytes("counts: 1"));
    write(one.resolve("_metadata"), bytes("checkpoint 1"));
    Path two = disk.resolve("chk-2");
    Files.createDirectories(two.resolve("v1-s0/db"));
    Files.createLink(two.resolve("v1-s0/db/000007.sst"), one.resolve("v1-s0/db/000007.sst"));
    write(two.resolve("v1-s0/db/MANIFEST-000005"), bytes("manifest two, longer"));
    write(two.resolve("v2-s1/snapshot"), bytes("counts: 2"));
    write(two.resolve("_metadata"), bytes("checkpoint 2"));
    Files.createDirectories(two.resolve("v3-s0/op0/keyed-state")); // an operator with no state yet
    Path three = disk.resolve("chk-3");
    write(three.resolve("v2-s1/snapshot"), bytes("counts: 3, never committed"));
    write(three.resolve("_metadata"), bytes("checkpoint 3"));

    CheckpointUpload upload = new CheckpointUpload(WORKER);
    try (KafkaProducer<String, byte[]> producer = transactionalProducer()) {
      producer.initTransactions();
      inTransaction(producer, upload, 1, one, true);
      long firstSent = upload.lastSentBytes();
      assertThat(firstSent, is(big.length + 12L + 9 + 12));
      inTransaction(producer, upload, 2, two, true);
      assertThat("the hard-linked SST is not sent again", upload.lastSentBytes(), is(20L + 9 + 12));
      inTransaction(producer, upload, 3, three, false);
    }

    Path fetched = disk.resolve("fetched");
    Files.createDirectories(fetched);
    Optional<StateManifest> result =
        CheckpointDownload.fetch(kafka(), JobTopics.stateTopic(JOB), 1, WORKER, 2, fetched);
    assertThat(result.isPresent(), is(true));
    assertThat(result.get().checkpointId(), is(2L));
    for (String file :
        List.of("v1-s0/db/000007.sst", "v1-s0/db/MANIFEST-000005", "v2-s1/snapshot", "_metadata")) {
      assertThat(
          file,
          Files.readAllBytes(fetched.resolve(file)),
          is(Files.readAllBytes(two.resolve(file))));
    }
    assertThat(
        "an empty directory comes back",
        Files.isDirectory(fetched.resolve("v3-s0/op0/keyed-state")),
        is(true));
    assertThat(
        "the manifest is kept beside the files",
        Files.isRegularFile(fetched.resolve(CheckpointUpload.MANIFEST_FILE)),
        is(true));

    Path other = Files.createDirectories(disk.resolve("other"));
    assertThat(
        "a checkpoint the topic does not hold is not made up",
        CheckpointDownload.fetch(kafka(), JobTopics.stateTopic(JOB), 1, WORKER, 1, other)
            .isPresent(),
        is(false));

    Map<String, byte[]> latest = latestRecords();
    assertThat(
        "checkpoint 1's files that 2 does not name are tombstoned",
        latest.containsKey(WORKER + "/1/v2-s1/snapshot#0")
            && latest.get(WORKER + "/1/v2-s1/snapshot#0") == null,
        is(true));
    assertThat(latest.get(WORKER + "/1/v1-s0/db/MANIFEST-000005#0"), nullValue());
    assertThat(
        "the SST's chunks stay, named by checkpoint 2's manifest",
        latest.get(WORKER + "/1/v1-s0/db/000007.sst#2").length,
        is(17));
    assertThat(
        "nothing of the aborted checkpoint 3 is read",
        StateManifest.fromBytes(latest.get(CheckpointUpload.manifestKey(WORKER))).checkpointId(),
        is(2L));
  }

  @Test
  void aWorkerResumingFromItsDiskSendsOnlyWhatChangedSince() throws Exception {
    Path one = disk.resolve("chk-1");
    write(one.resolve("v1-s0/db/000009.sst"), bytes("immutable"));
    write(one.resolve("_metadata"), bytes("checkpoint 1"));
    List<String> sent = new java.util.ArrayList<>();
    new CheckpointUpload("resume-w0").upload(1, one, (key, value) -> sent.add(key));
    assertThat(
        sent,
        contains(
            "resume-w0/1/v1-s0/db/000009.sst#0", "resume-w0/1/_metadata#0", "resume-w0/manifest"));

    // A new run of the worker: it knows only the directory it resumed from.
    CheckpointUpload resumed = new CheckpointUpload("resume-w0");
    resumed.resumedFrom(one);
    Path two = disk.resolve("chk-2");
    Files.createDirectories(two.resolve("v1-s0/db"));
    Files.createLink(two.resolve("v1-s0/db/000009.sst"), one.resolve("v1-s0/db/000009.sst"));
    write(two.resolve("_metadata"), bytes("checkpoint 2"));
    sent.clear();
    resumed.upload(2, two, (key, value) -> sent.add(key + (value == null ? " (tombstone)" : "")));
    assertThat(
        sent,
        contains(
            "resume-w0/2/_metadata#0",
            "resume-w0/manifest",
            "resume-w0/1/_metadata#0 (tombstone)"));
  }

  private static void inTransaction(
      KafkaProducer<String, byte[]> producer,
      CheckpointUpload upload,
      long id,
      Path directory,
      boolean commit) {
    producer.beginTransaction();
    upload.upload(
        id,
        directory,
        (key, value) ->
            producer.send(new ProducerRecord<>(JobTopics.stateTopic(JOB), 1, key, value)));
    if (commit) {
      producer.commitTransaction();
    } else {
      producer.flush();
      producer.abortTransaction();
    }
  }

  /** The state topic's partition 1 as a compacting broker would leave it: the latest per key. */
  private static Map<String, byte[]> latestRecords() {
    Map<String, Object> config = new HashMap<>(kafka());
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, byte[]> latest = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
      TopicPartition tp = new TopicPartition(JobTopics.stateTopic(JOB), 1);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      while (consumer.position(tp) < end) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          latest.put(record.key(), record.value());
        }
      }
    }
    return latest;
  }

  private static KafkaProducer<String, byte[]> transactionalProducer() {
    Map<String, Object> config = new HashMap<>(kafka());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "state-test");
    return new KafkaProducer<>(config);
  }

  private static Map<String, Object> kafka() {
    return Map.of("bootstrap.servers", broker.bootstrapServers());
  }

  private static void write(Path file, byte[] content) throws Exception {
    Files.createDirectories(file.getParent());
    Files.write(file, content);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
