package dev.millrace.translation.operators;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.TimeDomain;
import org.joda.time.Instant;

/**
 * The state and timers of whichever key the operator is working on. Beam's stateful runner is
 * built once with one StateInternals and one TimerInternals; these point at the current key's.
 */
final class CurrentKeyInternals<K> {
  private KeyedState.Entry<K> current;

  void set(KeyedState.Entry<K> entry) {
    this.current = entry;
  }

  final StateInternals state =
      new StateInternals() {
        @Override
        public Object getKey() {
          return current.key;
        }

        @Override
        public <T extends State> T state(StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
          return current.state.state(namespace, address, c);
        }
      };

  final TimerInternals timers =
      new TimerInternals() {
        @Override
        public void setTimer(
            StateNamespace namespace,
            String timerId,
            String timerFamilyId,
            Instant target,
            Instant outputTimestamp,
            TimeDomain timeDomain) {
          current.timers.setTimer(namespace, timerId, timerFamilyId, target, outputTimestamp, timeDomain);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void setTimer(TimerData timerData) {
          current.timers.setTimer(timerData);
        }

        @Override
        public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain timeDomain) {
          current.timers.deleteTimer(namespace, timerId, timerFamilyId, timeDomain);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
          current.timers.deleteTimer(namespace, timerId, timerFamilyId);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void deleteTimer(TimerData timerKey) {
          current.timers.deleteTimer(timerKey);
        }

        @Override
        public Instant currentProcessingTime() {
          return current.timers.currentProcessingTime();
        }

        @Override
        public Instant currentSynchronizedProcessingTime() {
          return current.timers.currentSynchronizedProcessingTime();
        }

        @Override
        public Instant currentInputWatermarkTime() {
          return current.timers.currentInputWatermarkTime();
        }

        @Override
        public Instant currentOutputWatermarkTime() {
          return current.timers.currentOutputWatermarkTime();
        }
      };
}
