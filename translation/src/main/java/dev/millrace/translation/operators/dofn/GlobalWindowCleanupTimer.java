package dev.millrace.translation.operators.dofn;

import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.joda.time.Instant;

/**
 * runners-core's state garbage-collection timer, set for no key in the global window when nothing
 * would see it fire. The global window's state is collected only when the input ends; a DoFn
 * without {@code @OnWindowExpiration} (and without time-sorted input, which flushes through the
 * runner) cannot tell whether it was, since nothing runs after it. Setting it anyway cost a timer
 * per key kept for the whole job: on a join whose keys are mostly new (Q3), a sixth of the time.
 */
final class GlobalWindowCleanupTimer<InputT> implements StatefulDoFnRunner.CleanupTimer<InputT> {
  private final StatefulDoFnRunner.CleanupTimer<InputT> timers;
  private final boolean observable;

  /**
   * @param observable whether the end of the global window is seen by the DoFn (it expires windows,
   *     or its input is sorted by time)
   */
  GlobalWindowCleanupTimer(StatefulDoFnRunner.CleanupTimer<InputT> timers, boolean observable) {
    this.timers = timers;
    this.observable = observable;
  }

  @Override
  public void setForWindow(InputT input, BoundedWindow window) {
    if (observable || !(window instanceof GlobalWindow)) {
      timers.setForWindow(input, window);
    }
  }

  @Override
  public boolean isForWindow(
      String timerId, BoundedWindow window, Instant timestamp, TimeDomain timeDomain) {
    return timers.isForWindow(timerId, window, timestamp, timeDomain);
  }
}
