package dev.millrace.cluster.exchange;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The bytes a worker's outlets have handed to the Kafka producer that the broker has not
 * acknowledged yet. Past the limit the outlets say they are blocked, so subtasks take no new input
 * instead of the producer's {@code send} blocking a worker thread; the job's workers are woken once
 * the acknowledgements bring it back under. A send that failed for good is kept and fails the job.
 */
final class SendWindow {
  private final long limitBytes;
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private volatile Runnable wakeWorkers = () -> {};

  SendWindow(long limitBytes) {
    this.limitBytes = limitBytes;
  }

  void wakeWith(Runnable wakeWorkers) {
    this.wakeWorkers = wakeWorkers;
  }

  void sent(int bytes) {
    inFlight.addAndGet(bytes);
  }

  void acknowledged(int bytes, Exception error) {
    if (error != null) {
      failure.compareAndSet(null, error);
    }
    long after = inFlight.addAndGet(-bytes);
    if (after < limitBytes && after + bytes >= limitBytes || error != null) {
      wakeWorkers.run();
    }
  }

  boolean isFull() {
    return inFlight.get() >= limitBytes;
  }

  /** The first send that failed, or null. */
  Exception failure() {
    return failure.get();
  }
}
