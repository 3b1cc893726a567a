package dev.millrace.cluster.worker;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the job's Kafka answers, asked before a worker makes or runs anything, so a broker that
 * is down (or an address that is wrong) is one clear error after a bounded wait, not a timeout deep
 * inside the first topic operation with part of the job already set up. A broker still starting is
 * waited for: workers and brokers are often started together.
 */
final class Brokers {
  private static final Logger LOG = LoggerFactory.getLogger(Brokers.class);

  /**
   * One question's time at most: a broker that is up answers within it, even to a client whose JVM
   * has just started on a busy machine (2 s was seen to be too short there).
   */
  private static final int ATTEMPT_MILLIS = 5_000;

  private Brokers() {}

  /**
   * Returns once a broker {@code kafka} names answers; fails, naming them, after {@code within}.
   */
  static void awaitAnswer(Map<String, Object> kafka, Duration within) throws InterruptedException {
    Object address = kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, address);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ATTEMPT_MILLIS);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ATTEMPT_MILLIS);
    config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, (long) ATTEMPT_MILLIS);
    config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000L);
    Admin admin;
    try {
      admin = Admin.create(config);
    } catch (KafkaException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(
          "the cluster's Kafka address '" + address + "' cannot be used: " + cause.getMessage(), e);
    }
    long start = System.nanoTime();
    long deadline = start + within.toNanos();
    int attempts = 0;
    try (admin) {
      while (true) {
        attempts++;
        Throwable last;
        int attemptMillis =
            (int)
                Math.max(500, Math.min(ATTEMPT_MILLIS, (deadline - System.nanoTime()) / 1_000_000));
        try {
          admin
              .describeCluster(new DescribeClusterOptions().timeoutMs(attemptMillis))
              .nodes()
              .get();
          if (attempts > 1) {
            LOG.info("Kafka at {} answered after {} attempts", address, attempts);
          }
          return;
        } catch (ExecutionException e) {
          last = e.getCause();
        }
        if (System.nanoTime() >= deadline) {
          throw new IllegalStateException(
              "no Kafka broker answered at "
                  + address
                  + " within "
                  + within.toSeconds()
                  + " s ("
                  + attempts
                  + " attempts; last: "
                  + last
                  + "): start the broker, or give the address of a running one;"
                  + " nothing of the job was made or run");
        }
        LOG.warn(
            "Kafka at {} does not answer yet (attempt {}: {}); asking again for up to {} s",
            address,
            attempts,
            last,
            Math.max(1, (deadline - System.nanoTime() + 999_999_999L) / 1_000_000_000L));
        Thread.sleep(Math.min(500, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      }
    }
  }
}
