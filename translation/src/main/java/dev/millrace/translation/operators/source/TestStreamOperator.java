package dev.millrace.translation.operators.source;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.keyed.BeamTime;
import java.util.List;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.TimestampedValue;

/**
 * Replays a TestStream's events, one per call, and only while the rest of the job is quiescent:
 * each event's elements, watermark or clock advance has travelled through the whole pipeline
 * (timers it made due have fired) before the next one is applied. Processing-time advances move the
 * job's manual clock.
 */
public final class TestStreamOperator<T> implements SourceOperator {
  private final List<TestStream.Event<T>> events;
  private OperatorContext context;
  private int next;
  private long watermark = Watermarks.MIN;

  public TestStreamOperator(List<TestStream.Event<T>> events) {
    this.events = events;
  }

  @Override
  public void open(OperatorContext context) {
    this.context = context;
  }

  @Override
  public boolean emitsOnlyWhenQuiescent() {
    return true;
  }

  @Override
  public Status emit(int maxElements) throws Exception {
    if (next < events.size()) {
      TestStream.Event<T> event = events.get(next++);
      if (event instanceof TestStream.ElementEvent<T> elements) {
        for (TimestampedValue<T> element : elements.getElements()) {
          context
              .output(0)
              .emit(
                  WindowedValue.timestampedValueInGlobalWindow(
                      element.getValue(), element.getTimestamp()));
        }
      } else if (event instanceof TestStream.WatermarkEvent<T> mark) {
        watermark = Math.max(watermark, BeamTime.toWatermark(mark.getWatermark()));
      } else if (event instanceof TestStream.ProcessingTimeEvent<T> advance) {
        context.advanceProcessingTime(
            context.currentProcessingTime() + advance.getProcessingTimeAdvance().getMillis());
      } else {
        throw new IllegalArgumentException("unknown TestStream event " + event);
      }
    }
    if (next < events.size()) {
      return Status.ACTIVE;
    }
    // The builder ends every stream at the end of time; a stream that did not is complete anyway.
    watermark = Watermarks.END;
    return Status.DONE;
  }

  @Override
  public long outputWatermark() {
    return watermark;
  }
}
