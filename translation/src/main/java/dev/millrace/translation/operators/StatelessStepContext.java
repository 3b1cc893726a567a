package dev.millrace.translation.operators;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn;
import org.joda.time.Instant;

/**
 * The step context of a DoFn without state or timers (translation rejects those that use them).
 * Bundle finalization callbacks are collected here and run once the bundle has been committed.
 */
final class StatelessStepContext implements StepContext, DoFn.BundleFinalizer {
  private record Pending(Instant expiry, DoFn.BundleFinalizer.Callback callback) {}

  private final List<Pending> pending = new ArrayList<>();

  @Override
  public StateInternals stateInternals() {
    throw new UnsupportedOperationException("Millrace does not support state in this step yet");
  }

  @Override
  public TimerInternals timerInternals() {
    throw new UnsupportedOperationException("Millrace does not support timers in this step yet");
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
