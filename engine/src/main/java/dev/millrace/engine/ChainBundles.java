package dev.millrace.engine;

import dev.millrace.plan.Operator;

/**
 * The bundles of a subtask's chain: an operator's bundle starts with the first element, watermark
 * or timer delivered to it, and all the chain's bundles end together when the subtask commits. The
 * subtask's bundle is open while any operator's is, and remembers when it began, by wall clock (for
 * the bundle's age limit) and by the job's clock (synchronized processing time holds there).
 */
final class ChainBundles {
  private final Operator[] operators;
  private final boolean[] inBundle;
  private final JobClock clock;
  private boolean open;
  private long startMillis;
  private long startClock;

  /** {@code operators} is the chain's array, filled in when the subtask opens. */
  ChainBundles(Operator[] operators, JobClock clock) {
    this.operators = operators;
    this.inBundle = new boolean[operators.length];
    this.clock = clock;
  }

  boolean isOpen() {
    return open;
  }

  /** Wall-clock time (ms) at which the open bundle began. */
  long startMillis() {
    return startMillis;
  }

  /** The job's clock when the open bundle began, or now when none is open. */
  long startClockOrNow() {
    return open ? startClock : clock.now();
  }

  /** Starts operator {@code op}'s bundle unless it is in one. */
  void ensure(int op) throws Exception {
    if (!inBundle[op]) {
      if (!open) {
        open = true;
        startMillis = System.currentTimeMillis();
        startClock = clock.now();
      }
      inBundle[op] = true;
      operators[op].startBundle();
    }
  }

  /** Finishes every open operator bundle, in chain order. */
  void finishAll() throws Exception {
    for (int op = 0; op < operators.length; op++) {
      if (inBundle[op]) {
        operators[op].finishBundle();
        inBundle[op] = false;
      }
    }
    open = false;
  }
}
