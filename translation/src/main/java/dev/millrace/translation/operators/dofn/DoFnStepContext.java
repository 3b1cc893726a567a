package dev.millrace.translation.operators.dofn;

import dev.millrace.state.keyed.CurrentKeyInternals;
import dev.millrace.translation.operators.AwaitingCheckpoint;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn;
import org.joda.time.Instant;

/**
 * The step context of a DoFn: state and timers of the current key when the DoFn is stateful. Bundle
 * finalization callbacks are collected here and run once the bundle has been committed, or with
 * checkpoints on, once a checkpoint after the bundle has completed.
 */
final class DoFnStepContext implements StepContext, DoFn.BundleFinalizer {
  private record Pending(Instant expiry, DoFn.BundleFinalizer.Callback callback) {}

  private final List<Pending> pending = new ArrayList<>();

  /**
   * With checkpoints: callbacks of committed bundles, waiting for a checkpoint that covers them.
   */
  private final AwaitingCheckpoint<Pending> committed = new AwaitingCheckpoint<>();

  private final CurrentKeyInternals<?> keyed;

  /** {@code keyed} is null for a DoFn without state and timers. */
  DoFnStepContext(CurrentKeyInternals<?> keyed) {
    this.keyed = keyed;
  }

  @Override
  public StateInternals stateInternals() {
    if (keyed == null) {
      throw new UnsupportedOperationException("this DoFn declares no state");
    }
    return keyed.state;
  }

  @Override
  public TimerInternals timerInternals() {
    if (keyed == null) {
      throw new UnsupportedOperationException("this DoFn declares no timers");
    }
    return keyed.timers;
  }

  @Override
  public DoFn.BundleFinalizer bundleFinalizer() {
    return this;
  }

  @Override
  public void afterBundleCommit(Instant callbackExpiry, DoFn.BundleFinalizer.Callback callback) {
    pending.add(new Pending(callbackExpiry, callback));
  }

  /**
   * The bundle committed: its callbacks run now, unless expired; with {@code checkpointing}, only
   * once a checkpoint holding the bundle's output has completed, as Beam specifies.
   */
  void bundleCommitted(Instant now, boolean checkpointing) throws Exception {
    List<Pending> due = new ArrayList<>(pending);
    pending.clear();
    if (checkpointing) {
      due.forEach(committed::add);
      return;
    }
    run(due, now);
  }

  /** Checkpoint {@code id} took its snapshot: callbacks so far wait for it to complete. */
  void snapshotTaken(long id) {
    committed.snapshotTaken(id);
  }

  /** Checkpoint {@code id} completed: the callbacks it covers run, unless expired. */
  void checkpointComplete(long id, Instant now) throws Exception {
    run(committed.completed(id), now);
  }

  private static void run(List<Pending> due, Instant now) throws Exception {
    for (Pending p : due) {
      if (!now.isAfter(p.expiry())) {
        p.callback().onBundleSuccess();
      }
    }
  }

  /** With checkpoints: callbacks of committed bundles wait for a checkpoint to complete. */
  boolean hasCallbacksAwaitingCheckpoint() {
    return !committed.isEmpty();
  }

  /** The bundle failed: its callbacks must never run. */
  void bundleAborted() {
    pending.clear();
    committed.clear();
  }
}
