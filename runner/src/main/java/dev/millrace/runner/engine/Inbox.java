package dev.millrace.runner.engine;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A subtask's bounded input queue, shared by all channels that feed it. It wakes the consumer's
 * worker when a message arrives, and the workers of producers that found it full once there is
 * room again, so neither side polls.
 */
final class Inbox {
  private final BlockingQueue<Message> queue;
  private final ConcurrentLinkedQueue<Worker> waitingProducers = new ConcurrentLinkedQueue<>();
  private Worker consumer;

  Inbox(int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  void setConsumer(Worker worker) {
    this.consumer = worker;
  }

  /** False when the inbox is full: the producer must keep the message and try again later. */
  boolean offer(Message message) {
    if (!queue.offer(message)) {
      return false;
    }
    consumer.wake();
    return true;
  }

  /**
   * Like {@link #offer}, but when the inbox is full {@code producer} is woken once it has room.
   * The producer registers before its last try, so a consumer that makes room in between still
   * sees it.
   */
  boolean offerOrWaitForRoom(Message message, Worker producer) {
    if (offer(message)) {
      return true;
    }
    waitingProducers.add(producer);
    return offer(message);
  }

  Message poll() {
    Message message = queue.poll();
    if (message != null && !waitingProducers.isEmpty()) {
      Worker producer;
      while ((producer = waitingProducers.poll()) != null) {
        producer.wake();
      }
    }
    return message;
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }
}
