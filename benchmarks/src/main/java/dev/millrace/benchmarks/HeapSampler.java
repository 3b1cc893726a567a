package dev.millrace.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Samples used heap every few milliseconds on a daemon thread and keeps the peak; and keeps the
 * largest heap left right after a garbage collection. The peak counts garbage not yet collected, so
 * it says as much about the collector's sizing (a fast allocator gets a larger young generation) as
 * about the job; what is left after a collection is what the job kept, the state it holds on the
 * heap included (an upper bound: a young collection leaves old garbage in place).
 */
final class HeapSampler implements AutoCloseable {
  private final Thread thread;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener afterGc = this::collected;
  private volatile long peak;
  private volatile long peakAfterGc;
  private volatile long collections;
  private volatile boolean stopped;

  HeapSampler() {
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (collector instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(afterGc, null, null);
        emitters.add(emitter);
      }
    }
    thread = new Thread(this::sample, "heap-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  private void sample() {
    Runtime runtime = Runtime.getRuntime();
    while (!stopped) {
      peak = Math.max(peak, runtime.totalMemory() - runtime.freeMemory());
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void collected(Notification notification, Object handback) {
    if (!notification
        .getType()
        .equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
      return;
    }
    GarbageCollectionNotificationInfo info =
        GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    long used = 0;
    for (MemoryUsage pool : info.getGcInfo().getMemoryUsageAfterGc().values()) {
      used += pool.getUsed();
    }
    synchronized (this) {
      peakAfterGc = Math.max(peakAfterGc, used);
      collections++;
    }
  }

  long peakBytes() {
    return peak;
  }

  /** The most heap a collection left in use; 0 while none ran. */
  long peakAfterGcBytes() {
    return peakAfterGc;
  }

  /** How many collections were seen. */
  long collections() {
    return collections;
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(afterGc);
      } catch (ListenerNotFoundException e) {
        // never added to this one: nothing to remove
      }
    }
  }
}
