package dev.millrace.translation;

import java.io.Closeable;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.metrics.MetricsEnvironment.MetricsEnvironmentState;

/**
 * User metrics of one job. Each subtask of a step writes into a container of its own; at the end
 * of a bundle it is merged into the attempted and committed totals, or only into attempted when
 * the bundle failed.
 */
public final class JobMetrics {
  private final MetricsContainerStepMap attempted = new MetricsContainerStepMap();
  private final MetricsContainerStepMap committed = new MetricsContainerStepMap();

  public BundleMetrics forStep(String stepName) {
    return new BundleMetrics(stepName);
  }

  public synchronized MetricResults results() {
    return MetricsContainerStepMap.asMetricResults(attempted, committed);
  }

  private synchronized void merge(String step, MetricsContainerImpl container, boolean commit) {
    attempted.getContainer(step).update(container);
    if (commit) {
      committed.getContainer(step).update(container);
    }
  }

  /**
   * The metrics of one step in one subtask, since its last bundle ended. It is entered around every
   * element, so entering allocates nothing: the scope is this object, and the thread's container
   * holder is looked up again only when another thread runs the subtask.
   */
  public final class BundleMetrics implements Closeable {
    private final String step;
    private final MetricsContainerImpl container;
    private Thread holderThread;
    private MetricsEnvironmentState holder;
    private MetricsContainer previous;
    /** Nested entries on one thread: only the outermost restores the previous container. */
    private int depth;

    private BundleMetrics(String step) {
      this.step = step;
      this.container = new MetricsContainerImpl(step);
    }

    /** Makes this the container that user code in the current thread reports to, until closed. */
    public Closeable enter() {
      if (depth++ == 0) {
        Thread current = Thread.currentThread();
        if (current != holderThread) {
          holder = MetricsEnvironment.getMetricsEnvironmentStateForCurrentThread();
          holderThread = current;
        }
        previous = holder.activate(container);
      }
      return this;
    }

    @Override
    public void close() {
      if (--depth == 0) {
        holder.activate(previous);
        previous = null;
      }
    }

    public void commit() {
      merge(step, container, true);
      container.reset();
    }

    public void abort() {
      merge(step, container, false);
      container.reset();
    }
  }
}
