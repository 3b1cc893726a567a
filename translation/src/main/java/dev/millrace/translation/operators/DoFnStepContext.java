package dev.millrace.translation.operators;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn;
import org.joda.time.Instant;

/**
 * The step context of a DoFn: state and timers of the current key when the DoFn is stateful.
 * Bundle finalization callbacks are collected here and run once the bundle has been committed.
 */
final class DoFnStepContext implements StepContext, DoFn.BundleFinalizer {
  private record Pending(Instant expiry, DoFn.BundleFinalizer.Callback callback) {}

  private final List<Pending> pending = new ArrayList<>();
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

  /** Runs the callbacks registered during the bundle that just committed, unless expired. */
  void bundleCommitted(Instant now) throws Exception {
    List<Pending> due = new ArrayList<>(pending);
    pending.clear();
    for (Pending p : due) {
      if (!now.isAfter(p.expiry())) {
        p.callback().onBundleSuccess();
      }
    }
  }

  /** The bundle failed: its callbacks must never run. */
  void bundleAborted() {
    pending.clear();
  }
}
