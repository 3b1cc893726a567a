package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.KeyedState;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.ByteStringOutputStream;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.Timer;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;

/**
 * The keys of a keyed stage as the harness and the stage's {@link KeyedState} both name them: by
 * the key's nested encoding, which is how the harness's state requests name a key. Timers the
 * harness sets or clears (on gRPC threads) go into the key's timers under the stage's lock.
 */
final class StageKeys {
  private final String stepName;
  private final Coder<Object> keyCoder;
  private final KeyedState<ByteString> keys;
  private final Object lock;

  StageKeys(String stepName, Coder<Object> keyCoder, KeyedState<ByteString> keys, Object lock) {
    this.stepName = stepName;
    this.keyCoder = keyCoder;
    this.keys = keys;
    this.lock = lock;
  }

  /** The entry of {@code key}; the caller holds the lock. */
  KeyedState.Entry<ByteString> entryOf(Object key) {
    try {
      ByteStringOutputStream bytes = new ByteStringOutputStream();
      keyCoder.encode(key, bytes, Coder.Context.NESTED);
      return keys.entry(bytes.toByteString());
    } catch (Exception e) {
      throw new IllegalStateException(stepName + ": could not encode key " + key, e);
    }
  }

  /** The entry of a keyed element's key; the caller holds the lock. */
  KeyedState.Entry<ByteString> entryOf(WindowedValue<?> element) {
    return entryOf(((KV<?, ?>) element.getValue()).getKey());
  }

  /** The key the harness knows by its encoding {@code key}. */
  Object keyOf(ByteString key) {
    try {
      return keyCoder.decode(key.newInput(), Coder.Context.NESTED);
    } catch (Exception e) {
      throw new IllegalStateException(stepName + ": could not decode a key", e);
    }
  }

  /** The harness set or cleared a timer (on a gRPC thread). */
  void timerFromHarness(Timer<?> timer, TimerInternals.TimerData data) {
    synchronized (lock) {
      KeyedState.Entry<ByteString> entry = entryOf(timer.getUserKey());
      if (timer.getClearBit()) {
        entry.timers.deleteTimer(
            data.getNamespace(), data.getTimerId(), data.getTimerFamilyId(), data.getDomain());
      } else {
        entry.timers.setTimer(data);
      }
      keys.track(entry, false);
    }
  }
}
