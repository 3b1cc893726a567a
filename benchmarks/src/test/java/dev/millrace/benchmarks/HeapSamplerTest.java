package dev.millrace.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HeapSamplerTest {
  private static final int MB = 1 << 20;

  @Test
  @Timeout(60)
  void whatACollectionLeavesCountsWhatIsKeptAndNotTheGarbage() throws InterruptedException {
    byte[][] kept = new byte[64][];
    long withKept;
    try (HeapSampler heap = new HeapSampler()) {
      for (int i = 0; i < kept.length; i++) {
        kept[i] = new byte[MB];
      }
      long seen = heap.collections();
      System.gc();
      // Notifications come on a JMX thread, after the collection.
      while (heap.collections() == seen) {
        Thread.sleep(10);
      }
      assertThat(heap.peakAfterGcBytes(), greaterThanOrEqualTo(64L * MB));
      assertThat(heap.peakBytes(), greaterThanOrEqualTo(64L * MB));
      withKept = heap.peakAfterGcBytes();
    }
    kept = null;
    System.gc(); // a young collection would leave the old generation's garbage in place
    try (HeapSampler heap = new HeapSampler()) {
      for (int i = 0; i < 256; i++) {
        byte[] garbage = new byte[MB];
        garbage[i] = 1;
      }
      long seen = heap.collections();
      System.gc();
      while (heap.collections() == seen) {
        Thread.sleep(10);
      }
      // Whatever else this JVM holds (other tests' classes and data) is in both figures.
      assertThat(heap.peakAfterGcBytes(), lessThan(withKept - 32L * MB));
    }
  }
}
