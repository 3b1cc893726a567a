package dev.millrace.translation.operators.stage;

import dev.millrace.plan.Watermarks;
import dev.millrace.state.keyed.BeamTime;
import dev.millrace.state.keyed.KeyedState;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;

/**
 * Takes a keyed stage's due timers from its {@link KeyedState} one timestamp at a time: all those
 * of the earliest due timestamp and domain go to the harness together, in one bundle. Once the
 * input is complete, processing-time timers that are left are due one at a time, before the
 * watermark's end expires every window (as Prism does; the Go SDK's tests expect it). The caller
 * holds the stage's state lock.
 */
final class StageDueTimers {
  private StageDueTimers() {}

  /** The next timers to fire at input watermark {@code watermark}; empty when none is due. */
  static List<KeyedState.Due<ByteString>> next(KeyedState<ByteString> keys, long watermark) {
    List<KeyedState.Due<ByteString>> due = new ArrayList<>();
    KeyedState.Due<ByteString> processing = watermark == Watermarks.END ? keys.pollAnyProcessingTimer() : null;
    if (processing != null) {
      due.add(processing);
      return due;
    }
    keys.advanceInputWatermark(BeamTime.toInstant(watermark));
    KeyedState.Due<ByteString> first = keys.pollEventTimer();
    if (first == null) {
      first = keys.pollProcessingTimer();
    }
    if (first != null) {
      due.add(first);
      KeyedState.Due<ByteString> next;
      while ((next = pollDueAt(keys, first.timer())) != null) {
        due.add(next);
      }
    }
    return due;
  }

  /** Another due timer of the same domain and timestamp as {@code first}, or null. */
  private static KeyedState.Due<ByteString> pollDueAt(KeyedState<ByteString> keys, TimerInternals.TimerData first) {
    // Peeking is not offered by the store; a polled timer of a later time goes back.
    KeyedState.Due<ByteString> next =
        first.getDomain() == TimeDomain.EVENT_TIME ? keys.pollEventTimer() : keys.pollProcessingTimer();
    if (next == null) {
      return null;
    }
    if (next.timer().getTimestamp().equals(first.getTimestamp())) {
      return next;
    }
    next.entry().timers.setTimer(next.timer());
    return null;
  }
}
