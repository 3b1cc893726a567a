package dev.millrace.runner.engine;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/** A subtask's bounded input queue, shared by all channels that feed it. */
final class Inbox {
  private final BlockingQueue<Message> queue;

  Inbox(int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  /** False when the inbox is full: the producer must keep the message and try again later. */
  boolean offer(Message message) {
    return queue.offer(message);
  }

  Message poll() {
    return queue.poll();
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }
}
