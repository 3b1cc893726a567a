package dev.millrace.engine.testing;

import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorFactory;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Drives one operator through its contract the way a subtask does, without an engine: elements in
 * bundles, watermarks each in a bundle of their own after the elements before them, processing
 * time, output blocked and resumed, snapshot and restore into a fresh instance, checkpoint
 * completion. Every time it reads the output watermark it checks the contract: the output watermark
 * never falls, and never passes the inputs that bound it.
 */
public final class OperatorHarness implements AutoCloseable {
  private final OperatorFactory factory;
  private final int inputs;
  private final TestOperatorContext context;
  private final long[] inputWatermarks;
  private Operator operator;
  private boolean inBundle;
  private long lastOutputWatermark = Watermarks.MIN;

  private OperatorHarness(
      OperatorFactory factory, int inputs, TestOperatorContext context, long[] inputWatermarks) {
    this.factory = factory;
    this.inputs = inputs;
    this.context = context;
    this.inputWatermarks = inputWatermarks;
  }

  /**
   * A harness for a fresh operator of {@code factory}, opened, with one output port per {@code
   * outputs}.
   */
  public static OperatorHarness open(
      OperatorFactory factory, int inputs, int outputs, boolean checkpointing) throws Exception {
    long[] watermarks = new long[inputs];
    Arrays.fill(watermarks, Watermarks.MIN);
    OperatorHarness harness =
        new OperatorHarness(
            factory,
            inputs,
            new TestOperatorContext("under-test", outputs, checkpointing),
            watermarks);
    harness.openOperator();
    return harness;
  }

  private void openOperator() throws Exception {
    operator = factory.create();
    operator.open(context);
  }

  public Operator operator() {
    return operator;
  }

  public TestOperatorContext context() {
    return context;
  }

  /** What output {@code port} received so far. */
  public List<Object> emitted(int port) {
    return context.emitted(port);
  }

  /** What output {@code port} received since the last call, which then forgets it. */
  public List<Object> take(int port) {
    List<Object> taken = new ArrayList<>(context.emitted(port));
    context.emitted(port).clear();
    return taken;
  }

  public void element(int port, Object element) throws Exception {
    startBundle();
    operator.processElement(port, element);
  }

  public void elements(int port, Object... elements) throws Exception {
    for (Object element : elements) {
      element(port, element);
    }
  }

  /** A source's turn: emits at most {@code max} elements in the current bundle. */
  public SourceOperator.Status emit(int max) throws Exception {
    startBundle();
    return ((SourceOperator) operator).emit(max);
  }

  /** Ends the open bundle, as a subtask does before it delivers a watermark. */
  public void finishBundle() throws Exception {
    if (inBundle) {
      operator.finishBundle();
      inBundle = false;
    }
  }

  /**
   * Input {@code port}'s watermark rose to {@code watermark}: the open bundle ends, the watermark
   * is delivered in a bundle of its own, and the output watermark is read and checked.
   */
  public long watermark(int port, long watermark) throws Exception {
    if (watermark <= inputWatermarks[port]) {
      throw new IllegalArgumentException(
          "watermarks rise: " + watermark + " after " + inputWatermarks[port]);
    }
    finishBundle();
    inputWatermarks[port] = watermark;
    startBundle();
    operator.processWatermark(port, watermark);
    finishBundle();
    return outputWatermark();
  }

  /** The operator's output watermark, checked against the contract. */
  public long outputWatermark() {
    long out = operator.outputWatermark();
    if (out < lastOutputWatermark) {
      throw new AssertionError(
          "the output watermark fell from " + lastOutputWatermark + " to " + out);
    }
    long input = Watermarks.END;
    for (int port = 0; port < inputWatermarks.length; port++) {
      if (operator.boundsOutput(port)) {
        input = Math.min(input, inputWatermarks[port]);
      }
    }
    if (out > input) {
      throw new AssertionError(
          "the output watermark " + out + " passed the input watermark " + input);
    }
    lastOutputWatermark = out;
    return out;
  }

  /** Moves the clock to {@code now} and fires what fell due, as a subtask does between bundles. */
  public void processingTime(long now) throws Exception {
    context.setProcessingTime(now);
    if (operator.nextProcessingTime() <= now) {
      startBundle();
      operator.onProcessingTime(now);
    }
  }

  /** Blocks or unblocks the output, as a full or emptied downstream inbox does. */
  public void blockOutput(boolean blocked) {
    context.blockOutput(blocked);
  }

  /**
   * Goes on with pending work until there is none (or the output is blocked); returns the rounds.
   */
  public int continueWork() throws Exception {
    int rounds = 0;
    while (operator.hasPendingWork() && !context.isOutputBlocked()) {
      startBundle();
      operator.continueWork();
      rounds++;
    }
    return rounds;
  }

  /**
   * Ends the bundle and takes checkpoint {@code id}, the operator's files under {@code directory}.
   */
  public InMemorySnapshot snapshot(long id, Path directory) throws Exception {
    finishBundle();
    InMemorySnapshot snapshot = new InMemorySnapshot(id, directory);
    operator.snapshotState(snapshot);
    return snapshot;
  }

  /**
   * A fresh operator of the same factory, opened and restored from {@code snapshot}, with the input
   * watermarks as they were (the engine keeps those itself). This harness's operator is closed
   * first, as a restarted job's is gone. The restored operator's output watermark is checked from
   * scratch.
   */
  public OperatorHarness restoreFresh(InMemorySnapshot snapshot, int outputs) throws Exception {
    close();
    OperatorHarness fresh =
        new OperatorHarness(
            factory,
            inputs,
            new TestOperatorContext("under-test", outputs, context.isCheckpointing()),
            inputWatermarks.clone());
    fresh.openOperator();
    fresh.operator.restoreState(snapshot.reader());
    return fresh;
  }

  /** Checkpoint {@code id} completed, told between bundles. */
  public void checkpointComplete(long id) throws Exception {
    finishBundle();
    operator.checkpointComplete(id);
  }

  private void startBundle() throws Exception {
    if (!inBundle) {
      operator.startBundle();
      inBundle = true;
    }
  }

  @Override
  public void close() throws Exception {
    try {
      if (operator != null) {
        operator.close();
        operator = null;
      }
    } finally {
      context.close();
    }
  }
}
