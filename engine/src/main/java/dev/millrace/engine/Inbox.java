package dev.millrace.engine;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A subtask's bounded input queue, shared by all channels that feed it. It wakes the job's sleeping
 * workers when a message arrives, and again once it has room after a producer found it full, so
 * neither side polls.
 */
final class Inbox {
  private final BlockingQueue<Message> queue;
  private final int capacity;
  private final Runnable wakeWorkers;
  private final AtomicBoolean producerWaiting = new AtomicBoolean();

  Inbox(int capacity, Runnable wakeWorkers) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.capacity = capacity;
    this.wakeWorkers = wakeWorkers;
  }

  /** False when the inbox is full: the producer must keep the message and try again later. */
  boolean offer(Message message) {
    if (!queue.offer(message)) {
      return false;
    }
    wakeWorkers.run();
    return true;
  }

  /**
   * Like {@link #offer}, but when the inbox is full the workers are woken once it has room. The
   * producer says so before its last try, so a consumer that makes room in between still sees it.
   */
  boolean offerOrWaitForRoom(Message message) {
    if (offer(message)) {
      return true;
    }
    producerWaiting.set(true);
    return offer(message);
  }

  Message poll() {
    Message message = queue.poll();
    if (message != null && producerWaiting.get() && producerWaiting.compareAndSet(true, false)) {
      wakeWorkers.run();
    }
    return message;
  }

  int size() {
    return queue.size();
  }

  int capacity() {
    return capacity;
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }
}
