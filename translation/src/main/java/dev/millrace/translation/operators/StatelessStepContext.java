package dev.millrace.translation.operators;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;

/** The step context of a DoFn without state or timers; translation rejects those that use them. */
final class StatelessStepContext implements StepContext {
  @Override
  public StateInternals stateInternals() {
    throw new UnsupportedOperationException("Millrace does not support state in this step yet");
  }

  @Override
  public TimerInternals timerInternals() {
    throw new UnsupportedOperationException("Millrace does not support timers in this step yet");
  }
}
