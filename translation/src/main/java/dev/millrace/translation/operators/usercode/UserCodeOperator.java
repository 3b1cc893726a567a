package dev.millrace.translation.operators.usercode;

import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.Closer;
import dev.millrace.translation.operators.OutputWatermark;
import dev.millrace.translation.operators.sideinput.SideInputGate;

/**
 * What every operator that runs user code shares, in this JVM through runners-core ({@code
 * DoFnRunnerOperator}) and in an SDK harness over the Fn API ({@code ExecutableStageOperator}), as
 * Flink's portable stage operator extends its Java DoFn operator: keyed state with its timers
 * (fired through {@link TimerFiring}), the side-input gate main input waits at, the holds both put
 * on the output watermark and on the watermark timers fire by, the output watermark promised
 * between bundles and told to keyed state, keyed state's commit at the end of a bundle, the
 * snapshot sections, and the release of it all at close.
 *
 * <p>Subclasses set {@link #keyedState}, {@link #sideInputs} and {@link #timers} in {@code open},
 * each left null when the step has no state, no side inputs or no timers. Keyed state is touched
 * under {@link #lock}: a harness reads and writes it on gRPC threads.
 */
public abstract class UserCodeOperator extends AbstractOperator {
  /** Held whenever keyed state is read or written. */
  protected final Object lock = new Object();

  protected KeyedState<?> keyedState;
  protected SideInputGate<?> sideInputs;
  protected TimerFiring<?> timers;

  /** The highest output watermark reported between bundles (see {@link #outputIncomplete}). */
  private long promised = Watermarks.MIN;

  protected UserCodeOperator(int inputs) {
    super(inputs);
  }

  @Override
  public dev.millrace.plan.StateFigures stateFigures() {
    synchronized (lock) {
      return keyedState == null ? null : keyedState.figures();
    }
  }

  /**
   * Port 0 is the main input; the others are side inputs, which hold back the main input instead.
   */
  @Override
  public final boolean boundsOutput(int port) {
    return port == 0;
  }

  /** The earliest main-input element waiting for side inputs; END if none. */
  protected final long sideInputHold() {
    return sideInputs == null ? Watermarks.END : sideInputs.hold();
  }

  /**
   * Elements waiting for side inputs hold event time back for timers too: firing a window's
   * garbage-collection timer before they are processed would drop them as late.
   */
  protected final long timerWatermark() {
    return Math.min(inputWatermark(0), sideInputHold());
  }

  /** What splittable DoFns left to run again later, when not kept in keyed state; END if none. */
  protected long residualHold() {
    return OutputWatermark.NO_HOLD;
  }

  /**
   * What the step's pending timers and residuals will still emit at the earliest; END if none. A
   * side-input gate keeps the side windows they need until then.
   */
  protected final long pendingWorkHold() {
    long hold = residualHold();
    if (keyedState == null) {
      return hold;
    }
    synchronized (lock) {
      return Math.min(hold, keyedState.holdBack(Watermarks.END));
    }
  }

  /**
   * Whether work already begun may still emit output (a remote bundle open, timers left to fire):
   * then the output watermark stays at what was promised before.
   */
  protected boolean outputIncomplete() {
    return false;
  }

  /**
   * The main input's watermark held back by input waiting for side inputs, keyed state, residuals.
   */
  @Override
  public final long outputWatermark() {
    if (outputIncomplete()) {
      return promised;
    }
    return Math.max(promised, currentOutputWatermark());
  }

  /**
   * What the output watermark is the minimum of. {@code stateAndTimers} is searched for only below
   * the others: {@code holdBack(w)} is min(w, holds), found without a full scan when the holds are
   * above w.
   */
  private record Holds(long input, long sideInputWait, long residuals, long stateAndTimers) {
    long lowest() {
      return OutputWatermark.of(
          input, sideInputWait, stateAndTimers, residuals, OutputWatermark.NO_HOLD);
    }
  }

  private Holds holds() {
    long input = inputWatermark(0);
    long sideInputWait = sideInputHold();
    long residuals = residualHold();
    long stateAndTimers = OutputWatermark.NO_HOLD;
    if (keyedState != null) {
      synchronized (lock) {
        stateAndTimers = keyedState.holdBack(Math.min(Math.min(input, sideInputWait), residuals));
      }
    }
    return new Holds(input, sideInputWait, residuals, stateAndTimers);
  }

  private long currentOutputWatermark() {
    return holds().lowest();
  }

  /** Which of the {@link #holds()} is the lowest, in words. */
  @Override
  public String describeWatermarkHold() {
    if (outputIncomplete()) {
      return "work begun in a bundle may still emit output (a remote bundle open, timers firing)";
    }
    Holds holds = holds();
    long lowest = holds.lowest();
    if (lowest == holds.input()) {
      return "";
    }
    if (lowest == holds.sideInputWait()) {
      return "main input waits for a side input, from " + time(lowest);
    }
    if (lowest == holds.stateAndTimers()) {
      return "a watermark hold or pending timer at " + time(lowest);
    }
    return "splittable DoFn work left to resume, from " + time(lowest);
  }

  private static String time(long millis) {
    return java.time.Instant.ofEpochMilli(millis).toString();
  }

  /**
   * At the moments the engine reads the output watermark (the end of a bundle, after a watermark):
   * records it as promised and tells keyed state (see {@link OutputWatermark}).
   */
  private void promiseOutputWatermark() {
    if (outputIncomplete()) {
      return;
    }
    long current = currentOutputWatermark();
    if (keyedState != null) {
      synchronized (lock) {
        keyedState.outputWatermarkIs(current);
      }
    }
    promised = Math.max(promised, current);
  }

  /** The promised output watermark, for a subclass that keeps it in its snapshot. */
  protected final long promisedWatermark() {
    return promised;
  }

  protected final void restorePromisedWatermark(long watermark) {
    promised = watermark;
  }

  @Override
  public void processWatermark(int port, long watermark) throws Exception {
    super.processWatermark(port, watermark);
    promiseOutputWatermark();
  }

  /** Fires what is due, earliest first; called again while {@link #hasPendingWork}. */
  protected abstract void fireTimers() throws Exception;

  @Override
  public final boolean hasPendingWork() {
    return timers != null && timers.isPending();
  }

  @Override
  public final void continueWork() throws Exception {
    fireTimers();
  }

  @Override
  public final void startBundle() {
    if (keyedState != null) {
      synchronized (lock) {
        keyedState.startBundle();
      }
    }
  }

  /** Ends the user code's bundle, commits keyed state, then lets the subclass commit the rest. */
  @Override
  public final void finishBundle() throws Exception {
    finishUserBundle();
    if (keyedState != null) {
      synchronized (lock) {
        keyedState.commit();
      }
    }
    promiseOutputWatermark();
    bundleCommitted();
  }

  /** Ends the user code's bundle, if one is open: everything given to it so far is processed. */
  protected abstract void finishUserBundle() throws Exception;

  /** The bundle is committed: its metrics and bundle finalizers follow. */
  protected abstract void bundleCommitted() throws Exception;

  /** Keyed state (timers and residuals included) and side inputs are all it keeps. */
  @Override
  public final boolean isCheckpointable() {
    return true;
  }

  /** What the subclass keeps ahead of keyed state, what after side inputs, then those two. */
  @Override
  protected final void snapshotOperator(SnapshotWriter out) throws Exception {
    snapshotHead(out);
    if (keyedState != null) {
      synchronized (lock) {
        keyedState.snapshot(out, "keyed-state");
      }
    }
    if (sideInputs != null) {
      sideInputs.snapshot(out);
    }
    snapshotTail(out);
  }

  @Override
  protected final void restoreOperator(SnapshotReader in) throws Exception {
    restoreHead(in);
    if (keyedState != null) {
      synchronized (lock) {
        keyedState.restore(in, "keyed-state");
      }
    }
    if (sideInputs != null) {
      sideInputs.restore(in);
    }
    restoreTail(in);
    if (timers != null) {
      timers.lookForDueTimers(); // they may be due already
    }
  }

  protected void snapshotHead(SnapshotWriter out) throws Exception {}

  protected void restoreHead(SnapshotReader in) throws Exception {}

  /**
   * Committed metrics; tells bundle finalization which checkpoint now covers what was committed.
   */
  protected abstract void snapshotTail(SnapshotWriter out) throws Exception;

  protected abstract void restoreTail(SnapshotReader in) throws Exception;

  /** Releases the user code, then keyed state and side inputs, each even if another failed. */
  @Override
  public final void close() throws Exception {
    AutoCloseable state =
        keyedState == null
            ? null
            : () -> {
              synchronized (lock) {
                keyedState.close();
              }
            };
    Closer.closeAll(this::closeUserCode, state, sideInputs);
  }

  /** Aborts the open bundle and tears the user code down. */
  protected abstract void closeUserCode() throws Exception;
}
