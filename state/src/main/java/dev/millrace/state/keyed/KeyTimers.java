package dev.millrace.state.keyed;

import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.state.TimeDomain;
import org.joda.time.Instant;

/**
 * The timers of one key, on the heap (the heap backend's timers) or in RocksDB, and the operator's
 * view of whichever key is current ({@link CurrentKeyInternals}): the overloads {@link
 * TimerInternals} asks for, reduced to one set and one delete, and the operator's clocks, which
 * every key's timers report.
 */
public abstract class KeyTimers implements TimerInternals {

  /** The operator's clocks. */
  public interface Clocks {
    Instant inputWatermark();

    Instant processingTime();

    /**
     * Synchronized processing time: fixed for the length of a bundle. A continuation trigger
     * (AfterSynchronizedProcessingTime) sets its delay to it for an element and asks at once
     * whether it has passed; with a clock that moved on in between it would fire on every element.
     */
    Instant synchronizedProcessingTime();

    /**
     * The output watermark the operator last reported: downstream has seen it, so ReduceFnRunner
     * tells an on-time pane from a late one by it. It must not move while a firing releases the
     * holds that kept it back (a pane's timing is read after its hold is released).
     */
    Instant outputWatermark();
  }

  private final Clocks clocks;

  public KeyTimers(Clocks clocks) {
    this.clocks = clocks;
  }

  /** Deletes the timer if set; {@code domain} is null when the caller did not say. */
  public abstract void delete(
      StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain);

  @Override
  public final void setTimer(
      StateNamespace namespace,
      String timerId,
      String timerFamilyId,
      Instant target,
      Instant outputTimestamp,
      TimeDomain timeDomain) {
    setTimer(TimerData.of(timerId, timerFamilyId, namespace, target, outputTimestamp, timeDomain));
  }

  @Override
  public final void deleteTimer(
      StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain timeDomain) {
    delete(namespace, timerId, timerFamilyId, timeDomain);
  }

  @Override
  public final void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
    delete(namespace, timerId, timerFamilyId, null);
  }

  @Override
  public final void deleteTimer(TimerData timer) {
    delete(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId(), timer.getDomain());
  }

  @Override
  public final Instant currentProcessingTime() {
    return clocks.processingTime();
  }

  @Override
  public final Instant currentSynchronizedProcessingTime() {
    return clocks.synchronizedProcessingTime();
  }

  @Override
  public final Instant currentInputWatermarkTime() {
    return clocks.inputWatermark();
  }

  @Override
  public final Instant currentOutputWatermarkTime() {
    return clocks.outputWatermark();
  }
}
