package dev.millrace.cluster.state;

import dev.millrace.engine.checkpoint.Directories;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a worker's committed checkpoint from the job's state topic ({@link CheckpointUpload}):
 * reads the worker's partition, committed records only, from its start to its end, each chunk to a
 * file of its own as it comes (a later tombstone deletes it), then puts the files the latest
 * manifest names together. Memory stays small whatever the state's size; disk holds it twice until
 * done.
 */
public final class CheckpointDownload {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointDownload.class);

  private CheckpointDownload() {}

  /**
   * Writes checkpoint {@code id} of {@code worker} into the empty {@code directory} and returns its
   * manifest; empty when the topic's latest manifest of the worker is of another checkpoint (or
   * there is none).
   */
  public static Optional<StateManifest> fetch(
      Map<String, Object> kafka,
      String topic,
      int partition,
      String worker,
      long id,
      Path directory) {
    long start = System.nanoTime();
    Path staging;
    try {
      staging = Files.createTempDirectory(directory.getParent(), "state-fetch");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage a checkpoint beside " + directory, e);
    }
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config(kafka, worker))) {
      TopicPartition tp = new TopicPartition(topic, partition);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      String prefix = worker + "/";
      String manifestKey = CheckpointUpload.manifestKey(worker);
      byte[] manifestBytes = null;
      Map<String, Path> chunks = new HashMap<>();
      long read = 0;
      int staged = 0;
      while (consumer.position(tp) < end) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          String key = record.key();
          if (key == null || !key.startsWith(prefix)) {
            continue;
          }
          if (key.equals(manifestKey)) {
            manifestBytes = record.value();
            continue;
          }
          Path old = chunks.remove(key);
          if (old != null) {
            Files.delete(old);
          }
          if (record.value() != null) {
            Path file = staging.resolve(String.valueOf(staged++));
            Files.write(file, record.value());
            chunks.put(key, file);
            read += record.value().length;
          }
        }
      }
      if (manifestBytes == null) {
        return Optional.empty();
      }
      StateManifest manifest = StateManifest.fromBytes(manifestBytes);
      if (manifest.checkpointId() != id) {
        LOG.warn(
            "The state topic holds checkpoint {} of {}, not {} which its commit log names",
            manifest.checkpointId(),
            worker,
            id);
        return Optional.empty();
      }
      for (StateManifest.File file : manifest.files()) {
        Path target = directory.resolve(file.path());
        if (file.isDirectory()) {
          Files.createDirectories(target);
          continue;
        }
        Files.createDirectories(target.getParent());
        try (OutputStream out = Files.newOutputStream(target)) {
          for (int c = 0; c < file.chunks(); c++) {
            Path chunk = chunks.get(file.chunkKey(c));
            if (chunk == null) {
              throw new IllegalStateException(
                  "checkpoint "
                      + id
                      + " of "
                      + worker
                      + " in topic "
                      + topic
                      + " lacks chunk "
                      + c
                      + " of "
                      + file.path()
                      + ": the topic was changed by something other than its workers");
            }
            Files.copy(chunk, out);
          }
        }
        if (Files.size(target) != file.size()) {
          throw new IllegalStateException(
              "checkpoint file " + file.path() + " of " + worker + " came back with another size");
        }
      }
      CheckpointUpload.writeManifest(directory, manifest);
      long millis = (System.nanoTime() - start) / 1_000_000;
      LOG.info(
          "{} fetched checkpoint {} from {}: {} files, {} bytes of state, {} bytes read in {} ms"
              + " ({} MB/s)",
          worker,
          id,
          topic,
          manifest.files().size(),
          manifest.bytes(),
          read,
          millis,
          String.format("%.1f", read / 1e6 / Math.max(millis, 1) * 1000));
      return Optional.of(manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + id + " into " + directory, e);
    } finally {
      try {
        Directories.deleteRecursively(staging);
      } catch (IOException e) {
        LOG.warn("cannot remove {}: {}", staging, e.toString());
      }
    }
  }

  private static Map<String, Object> config(Map<String, Object> kafka, String worker) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-" + worker + "-state-fetch");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20);
    return config;
  }
}
