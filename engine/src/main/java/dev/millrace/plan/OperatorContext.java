package dev.millrace.plan;

import java.util.concurrent.ScheduledExecutorService;

/** What the engine gives an operator of one subtask. */
public interface OperatorContext {

  String operatorName();

  int subtaskIndex();

  int parallelism();

  /** Where the operator's output {@code port} goes (downstream operators and edges). */
  Emitter output(int port);

  /**
   * True when a downstream inbox of this subtask is full: an operator emitting from timers or a
   * drain should stop and report {@link Operator#hasPendingWork()}. Emitting anyway is allowed
   * (nothing is lost), it only grows what waits on the heap.
   */
  boolean isOutputBlocked();

  /**
   * True once the job is being drained: unbounded sources stop reading and report the end of their
   * input, splittable DoFns truncate what is left of their restrictions, and the job ends when
   * every watermark has reached the end.
   */
  boolean isDraining();

  /**
   * True when the job takes checkpoints: side effects that acknowledge input (finalizing a source's
   * checkpoint mark, bundle finalizers) wait for {@link Operator#checkpointComplete}.
   */
  default boolean isCheckpointing() {
    return false;
  }

  /** The job's processing-time clock, in milliseconds. */
  long currentProcessingTime();

  /**
   * Synchronized processing time, in milliseconds: the job's clock, except while the end of input
   * has reached some of this subtask's channels and the others are bound to follow (their senders
   * have ended, or every input of those senders has). Then it stays just before the bundle in which
   * the first end arrived, until the end came on every channel. Output that upstream emits because
   * its input ended (the final pane of a grouping) and the end itself reach a subtask on different
   * channels at different moments; a timer in this domain (the continuation of a processing-time
   * trigger) must not fire in between and turn that output into an early pane.
   */
  default long currentSynchronizedProcessingTime() {
    return currentProcessingTime();
  }

  /**
   * Moves the job's clock forward to {@code millis}. Only a job started with a manual clock (the
   * test clock of a TestStream) allows it.
   */
  void advanceProcessingTime(long millis);

  /**
   * A single-threaded scheduler shared by the job, for work that must happen after a delay while
   * the operator's thread is busy (e.g. asking a splittable DoFn to checkpoint). Tasks run on
   * another thread; the operator synchronizes what they touch.
   */
  ScheduledExecutorService scheduler();
}
