package dev.millrace.runner.engine;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/** A subtask's bounded input queue, shared by all channels that feed it. */
final class Inbox {
  private final BlockingQueue<Message> queue;

  Inbox(int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  /** Blocks while the inbox is full: this is how a slow consumer slows its producers down. */
  void put(Message message) throws InterruptedException {
    queue.put(message);
  }

  Message poll() {
    return queue.poll();
  }

  Message poll(long millis) throws InterruptedException {
    return queue.poll(millis, TimeUnit.MILLISECONDS);
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  int size() {
    return queue.size();
  }
}
