package dev.millrace.state.keyed;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.StateContext;
import org.apache.beam.sdk.state.TimeDomain;
import org.joda.time.Instant;

/**
 * The state and timers of whichever key the operator is working on. Beam's stateful runner is built
 * once with one StateInternals and one TimerInternals; these point at the current key's.
 */
public final class CurrentKeyInternals<K> {
  private KeyedState.Entry<K> current;

  public void set(KeyedState.Entry<K> entry) {
    this.current = entry;
  }

  /** The key worked on now. */
  public KeyedState.Entry<K> entry() {
    return current;
  }

  public final StateInternals state =
      new StateInternals() {
        @Override
        public Object getKey() {
          return current.key;
        }

        @Override
        public <T extends State> T state(
            StateNamespace namespace, StateTag<T> address, StateContext<?> c) {
          return current.state.state(namespace, address, c);
        }
      };

  public final KeyTimers timers =
      new KeyTimers(
          new KeyTimers.Clocks() {
            @Override
            public Instant inputWatermark() {
              return current.timers.currentInputWatermarkTime();
            }

            @Override
            public Instant processingTime() {
              return current.timers.currentProcessingTime();
            }

            @Override
            public Instant synchronizedProcessingTime() {
              return current.timers.currentSynchronizedProcessingTime();
            }

            @Override
            public Instant outputWatermark() {
              return current.timers.currentOutputWatermarkTime();
            }
          }) {
        @Override
        @SuppressWarnings("deprecation")
        public void setTimer(TimerData timerData) {
          current.timers.setTimer(timerData);
        }

        @Override
        public void delete(
            StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain) {
          current.timers.delete(namespace, timerId, timerFamilyId, domain);
        }
      };
}
