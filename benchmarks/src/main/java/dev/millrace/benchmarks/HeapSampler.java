package dev.millrace.benchmarks;

/** Samples used heap every few milliseconds on a daemon thread and keeps the peak. */
final class HeapSampler implements AutoCloseable {
  private final Thread thread;
  private volatile long peak;
  private volatile boolean stopped;

  HeapSampler() {
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

  long peakBytes() {
    return peak;
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
  }
}
