package dev.millrace.cluster.exchange;

import dev.millrace.cluster.state.CheckpointDownload;
import dev.millrace.cluster.state.CheckpointUpload;
import dev.millrace.cluster.state.StateManifest;
import dev.millrace.cluster.topics.CommitLog;
import dev.millrace.cluster.topics.EdgePartitions;
import dev.millrace.cluster.topics.JobTopics;
import dev.millrace.engine.RemoteExchange;
import dev.millrace.engine.RemoteInlet;
import dev.millrace.engine.RemoteOutlet;
import dev.millrace.plan.Edge;
import dev.millrace.plan.Plan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's part of a job spread over several through Kafka: the subtasks its {@link Placement}
 * gives it run here, and every edge but FORWARD goes through the edge's topic (see {@link
 * EdgePartitions}). One producer sends what this worker's subtasks emit; one reader thread ({@link
 * ExchangePoller}) feeds its consumer subtasks, each channel's watermark the minimum over every
 * producer subtask of the edge in every partition it reads.
 *
 * <p>With checkpoints ({@code exactlyOnce}) each worker checkpoints on its own, the topics between
 * workers keeping what is in flight: at a checkpoint's start the reader notes its positions and
 * puts barriers behind them; once every local subtask wrote its part, one Kafka transaction commits
 * the output sent before the barriers, the positions, and the checkpoint's id ({@link CommitLog});
 * output sent after a barrier waits in its outlet until then. Consumers read committed records
 * only, so a worker killed at any point is seen to have sent exactly what its last committed
 * checkpoint covers, and resumes from there.
 */
public final class KafkaExchange implements RemoteExchange {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaExchange.class);

  private final String job;
  private final Plan plan;
  private final Map<String, Object> kafkaConfig;
  private final String worker;
  private final boolean exactlyOnce;
  private final Placement placement;
  private final SendWindow window = new SendWindow(ExchangeProducer.SEND_WINDOW_BYTES);
  private final List<KafkaOutlet> outlets = new ArrayList<>();
  private final Map<Long, Map<TopicPartition, OffsetAndMetadata>> positionsAt =
      new ConcurrentHashMap<>();

  private ExchangeProducer producer;
  private ExchangePoller poller;
  private volatile Thread pollerThread;
  private volatile long lastCommitted;
  private volatile Consumer<Throwable> failJob = t -> {};
  private final boolean finishedBefore;
  private final Runnable shareFinished;

  /** This worker's partition of the job's state topic. */
  private final int statePartition;

  private final CheckpointUpload upload;

  /** Where each subtask of a job runs. */
  public interface Placement {
    boolean runsHere(int vertex, int subtask);
  }

  /**
   * {@code kafkaConfig} holds at least {@code bootstrap.servers}; {@code worker} names this worker
   * in the job (client ids, thread names, its transactional id and consumer group), the same name
   * each time it starts again; its checkpoints go to partition {@code statePartition} of the job's
   * state topic (with checkpoints), whence it resumes on a machine without them. {@code
   * shareFinished} runs once the worker's share has finished and that is recorded (at once if it
   * was before).
   */
  public KafkaExchange(
      String job,
      Plan plan,
      Placement placement,
      Map<String, Object> kafkaConfig,
      String worker,
      boolean exactlyOnce,
      int statePartition,
      Runnable shareFinished) {
    this.job = job;
    this.statePartition = statePartition;
    this.upload = new CheckpointUpload(worker);
    this.plan = plan;
    this.kafkaConfig = Map.copyOf(kafkaConfig);
    this.worker = worker;
    this.exactlyOnce = exactlyOnce;
    this.shareFinished = shareFinished;
    if (exactlyOnce) {
      // First, as the same transactional id, fence the worker's last run: a transaction it left
      // open is aborted, one it was committing completes. Only then is its commit log final.
      producer = newProducer();
    }
    // What this worker's last transaction committed (a job that takes checkpoints), or whether its
    // share finished (one that does not).
    Optional<CommitLog.Entry> committed = CommitLog.latest(kafkaConfig, job, worker);
    this.lastCommitted = exactlyOnce ? committed.map(CommitLog.Entry::checkpointId).orElse(0L) : 0L;
    this.finishedBefore = committed.map(CommitLog.Entry::finished).orElse(false);
    if (finishedBefore) {
      LOG.info("Worker {} of job {} finished its share before: nothing to run", worker, job);
    }
    this.placement = finishedBefore ? (vertex, subtask) -> false : placement;
  }

  @Override
  public boolean runsHere(int vertex, int subtask) {
    return placement.runsHere(vertex, subtask);
  }

  @Override
  public boolean isRemote(Edge edge) {
    return EdgePartitions.isRemote(edge);
  }

  @Override
  public long checkpointToResume() {
    return lastCommitted;
  }

  @Override
  public boolean fetchCheckpoint(long id, Path directory) {
    return CheckpointDownload.fetch(
            kafkaConfig, JobTopics.stateTopic(job), statePartition, worker, id, directory)
        .isPresent();
  }

  @Override
  public void resumed(long id, Path directory) {
    upload.resumedFrom(directory);
  }

  @Override
  public synchronized RemoteOutlet outlet(Edge edge, int producerSubtask, Runnable wakeWorkers) {
    window.wakeWith(wakeWorkers);
    if (producer == null) {
      producer = newProducer();
    }
    KafkaOutlet outlet =
        new KafkaOutlet(
            edge,
            JobTopics.edgeTopic(job, edge.id()),
            plan.describe(edge),
            EdgePartitions.count(plan, edge),
            producerSubtask,
            producer,
            window,
            wakeWorkers);
    outlets.add(outlet);
    return outlet;
  }

  @Override
  public synchronized void bind(Edge edge, int consumerSubtask, RemoteInlet inlet) {
    if (poller == null) {
      poller =
          new ExchangePoller(
              new KafkaConsumer<>(consumerConfig()),
              lastCommitted > 0,
              positionsAt::put,
              t -> failJob.accept(t));
    }
    int[] partitions = EdgePartitions.readBy(plan, edge, consumerSubtask);
    int producers = plan.vertices().get(edge.from().vertex()).parallelism();
    poller.read(
        JobTopics.edgeTopic(job, edge.id()),
        partitions[0],
        partitions[1],
        new ConsumerChannel(inlet, partitions[0], partitions[1] - partitions[0], producers));
  }

  @Override
  public synchronized void start(Consumer<Throwable> failJob) {
    this.failJob = failJob;
    if (poller != null) {
      pollerThread = new Thread(poller, "millrace-" + worker + "-exchange");
      pollerThread.setDaemon(true);
      pollerThread.start();
    }
  }

  /**
   * The worker's one producer, transactional (the same id each time it starts) when exactly once.
   */
  private ExchangeProducer newProducer() {
    return new ExchangeProducer(
        kafkaConfig,
        "millrace-" + worker + "-producer",
        exactlyOnce ? "millrace." + job + "." + worker : null,
        window);
  }

  @Override
  public void checkpointStarted(long id) {
    if (poller != null) {
      poller.barrier(id);
    } else {
      positionsAt.put(id, Map.of());
    }
  }

  @Override
  public void checkpointCompleted(long id, Path directory) {
    if (!exactlyOnce) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> positions = awaitPositions(id);
    positionsAt.keySet().removeIf(older -> older <= id);
    long start = System.nanoTime();
    String stateTopic = JobTopics.stateTopic(job);
    StateManifest state =
        upload.upload(
            id,
            directory,
            (key, value) -> producer.sendState(stateTopic, statePartition, key, value));
    commit(positions, new CommitLog.Entry(id, false));
    lastCommitted = id;
    LOG.debug(
        "{} committed checkpoint {} in {} ms ({} bytes of state, {} sent)",
        worker,
        id,
        (System.nanoTime() - start) / 1e6,
        state.bytes(),
        upload.lastSentBytes());
    List<KafkaOutlet> all;
    synchronized (this) {
      all = List.copyOf(outlets);
    }
    for (KafkaOutlet outlet : all) {
      outlet.release();
    }
  }

  /**
   * The reader's positions at checkpoint {@code id}'s barriers. A checkpoint may complete before
   * the reader got to them: when every local subtask that reads had already ended (each ended
   * subtask counts as done with every later checkpoint), nothing waited for their barriers.
   */
  private Map<TopicPartition, OffsetAndMetadata> awaitPositions(long id) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Map<TopicPartition, OffsetAndMetadata> positions;
    while ((positions = positionsAt.get(id)) == null) {
      if (System.nanoTime() > deadline || (pollerThread != null && !pollerThread.isAlive())) {
        throw new IllegalStateException(
            "checkpoint "
                + id
                + " of "
                + worker
                + " completed, but the exchange's reader never noted its positions");
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while committing checkpoint " + id, e);
      }
    }
    return positions;
  }

  private void commit(Map<TopicPartition, OffsetAndMetadata> positions, CommitLog.Entry entry) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(positions);
    offsets.putAll(CommitLog.marker(job, entry));
    producer.commit(offsets, CommitLog.group(job, worker), entry.finished());
  }

  @Override
  public synchronized void close(boolean succeeded) {
    if (poller != null) {
      poller.stop();
      try {
        if (pollerThread != null) {
          pollerThread.join(10_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (producer != null) {
      try {
        if (exactlyOnce) {
          if (succeeded) {
            // The share is done: what it sent since its last checkpoint is final, and a restart
            // of this worker runs nothing.
            commit(
                poller == null ? Map.of() : poller.finalPositions(),
                new CommitLog.Entry(lastCommitted, true));
          } else {
            producer.abort();
          }
        }
      } finally {
        // Waits for what was sent, the END of every edge included, to be acknowledged.
        producer.close();
      }
      Exception failure = window.failure();
      if (failure != null && succeeded) {
        throw new IllegalStateException(
            "worker " + worker + " could not send all its output: " + failure, failure);
      }
    }
    if (!succeeded) {
      return;
    }
    if (!exactlyOnce && !finishedBefore) {
      CommitLog.markFinished(kafkaConfig, job, worker);
    }
    shareFinished.run();
  }

  private Map<String, Object> consumerConfig() {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-" + worker + "-exchange");
    config.put(ConsumerConfig.GROUP_ID_CONFIG, CommitLog.group(job, worker));
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
    config.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
    return config;
  }
}
