package dev.millrace.translation.operators.grouping;

import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterSynchronizedProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.Never;
import org.apache.beam.sdk.transforms.windowing.Trigger;

/**
 * Which triggers may fire because an element arrived. Feeding ReduceFnRunner a key's elements one
 * call each costs a state round trip per element; it is only needed where a pane can close on an
 * element count. Watermark and processing-time triggers fire from timers, and a bundle's elements
 * may share their pane.
 */
final class ElementTriggers {
  private ElementTriggers() {}

  static boolean mayFireOnElement(Trigger trigger) {
    if (trigger instanceof AfterPane) {
      return true;
    }
    if (trigger instanceof DefaultTrigger
        || trigger instanceof Never.NeverTrigger
        || trigger instanceof AfterProcessingTime
        || trigger instanceof AfterSynchronizedProcessingTime
        || trigger instanceof AfterWatermark.FromEndOfWindow) {
      return false;
    }
    if (trigger.subTriggers() == null || trigger.subTriggers().isEmpty()) {
      // Unknown leaf (a trigger of a newer SDK, or Always): assume it may.
      return true;
    }
    for (Trigger sub : trigger.subTriggers()) {
      if (mayFireOnElement(sub)) {
        return true;
      }
    }
    return false;
  }
}
