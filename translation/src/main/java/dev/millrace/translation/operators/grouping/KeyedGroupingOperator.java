package dev.millrace.translation.operators.grouping;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.OutputWatermark;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * What every streaming grouping shares: its keys' state and timers in a {@link KeyedState} (memory
 * or RocksDB), the timers fired through {@link TimerFiring}, the output watermark held back by the
 * state's holds and the timers' output timestamps, and a snapshot that is the keyed state and
 * nothing else. Subclasses say what an element does ({@link #processElement}) and what a group of
 * due timers does ({@link #fire}); one that buffers elements within a bundle hands them on in
 * {@link #flushPending}, which runs before timers fire and at the bundle's end.
 */
public abstract class KeyedGroupingOperator<K> extends AbstractOperator {
  private final Coder<K> keyCoder;
  private final Coder<? extends BoundedWindow> windowCoder;
  private final TimerFiring.Rules firingRules;
  private final StateBackend stateBackend;
  protected KeyedState<K> keys;
  private TimerFiring<K> timers;

  protected KeyedGroupingOperator(
      Coder<K> keyCoder,
      Coder<? extends BoundedWindow> windowCoder,
      TimerFiring.Rules firingRules,
      StateBackend stateBackend) {
    super(1);
    this.keyCoder = keyCoder;
    this.windowCoder = windowCoder;
    this.firingRules = firingRules;
    this.stateBackend = stateBackend;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    keys =
        new KeyedState<>(
            keyCoder,
            stateBackend.keyedStore(windowCoder),
            context::currentProcessingTime,
            context::currentSynchronizedProcessingTime);
    timers =
        new TimerFiring<>(
            keys, context, firingRules, this::minInputWatermark, new Object(), this::fire);
  }

  /** Fires one group of due timers, as {@link TimerFiring.Rules#grouping()} makes them. */
  protected abstract void fire(List<KeyedState.Due<K>> due) throws Exception;

  /**
   * Names how this operator lays out its keyed state, written after it in every snapshot and
   * checked on restore, so that a checkpoint of another layout (an earlier build, which grouped the
   * same step through {@code ReduceFnRunner}) is refused by name instead of read as empty; null for
   * {@code ReduceFnRunner}'s own layout, whose snapshots predate the name and carry none.
   */
  protected String stateLayout() {
    return null;
  }

  /** Hands on what the bundle buffered so far; nothing by default. */
  protected void flushPending() throws Exception {}

  @Override
  public void startBundle() {
    keys.startBundle();
  }

  @Override
  public void finishBundle() throws Exception {
    flushPending();
    keys.commit();
    keys.outputWatermarkIs(outputWatermark());
  }

  @Override
  public void close() {
    if (keys != null) {
      keys.close();
    }
  }

  /** Everything (values or accumulators, panes, triggers, holds, timers) is in the keyed state. */
  @Override
  public boolean isCheckpointable() {
    return true;
  }

  @Override
  protected void snapshotOperator(SnapshotWriter out) throws Exception {
    keys.snapshot(out, "keyed-state");
    String layout = stateLayout();
    if (layout != null) {
      out.data().writeUTF(layout);
    }
  }

  @Override
  protected void restoreOperator(SnapshotReader in) throws Exception {
    keys.restore(in, "keyed-state");
    String layout = stateLayout();
    if (layout != null) {
      String found =
          in.data().available() > 0
              ? in.data().readUTF()
              : "runners-core's ReduceFnRunner (written by an earlier build)";
      if (!layout.equals(found)) {
        throw new IllegalStateException(
            "Checkpoint "
                + in.checkpointId()
                + " holds this grouping's state as "
                + found
                + " kept it, and this build keeps it as "
                + layout
                + ": it cannot resume from that checkpoint. Start the job afresh (another"
                + " --checkpointDir or --jobName)");
      }
    }
    timers.lookForDueTimers();
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    flushPending();
    timers.fire();
  }

  /** Held back by the holds in keyed state and by the output timestamps of pending timers. */
  @Override
  public long outputWatermark() {
    long input = minInputWatermark();
    return OutputWatermark.of(
        input,
        OutputWatermark.NO_HOLD,
        keys.holdBack(input),
        OutputWatermark.NO_HOLD,
        OutputWatermark.NO_HOLD);
  }

  @Override
  public String describeWatermarkHold() {
    long input = minInputWatermark();
    long hold = keys.holdBack(input);
    return hold < input
        ? "windows not yet fired: a watermark hold or pending timer at "
            + java.time.Instant.ofEpochMilli(hold)
        : "";
  }

  @Override
  public void processWatermark(int port, long watermark) throws Exception {
    super.processWatermark(port, watermark);
    keys.outputWatermarkIs(outputWatermark());
  }

  @Override
  public long nextProcessingTime() {
    return keys.nextProcessingTime();
  }

  @Override
  public void onProcessingTime(long now) throws Exception {
    flushPending();
    keys.advanceProcessingTime(new Instant(now));
    timers.fire();
  }

  @Override
  public boolean hasPendingWork() {
    return timers.isPending();
  }

  @Override
  public void continueWork() throws Exception {
    flushPending();
    timers.fire();
  }

  @Override
  public dev.millrace.plan.StateFigures stateFigures() {
    return keys == null ? null : keys.figures();
  }
}
