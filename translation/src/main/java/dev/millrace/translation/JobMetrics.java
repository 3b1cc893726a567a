package dev.millrace.translation;

import java.io.Closeable;
import java.util.List;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
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

  /**
   * Adds what an SDK harness reported for one completed bundle: its user metrics, each labelled
   * with the transform it belongs to.
   */
  public synchronized void updateFromMonitoringInfos(Iterable<MonitoringInfo> infos) {
    for (MonitoringInfo info : infos) {
      String step = info.getLabelsMap().get(MonitoringInfoConstants.Labels.PTRANSFORM);
      if (step == null || info.getPayload().isEmpty()) {
        continue; // not a metric of a transform (or no value): nothing a user asked for
      }
      List<MonitoringInfo> one = List.of(info);
      attempted.getContainer(step).update(one);
      committed.getContainer(step).update(one);
    }
  }

  /** Committed and attempted metrics as the portability API carries them. */
  public synchronized Iterable<MonitoringInfo> committedMonitoringInfos() {
    return committed.getMonitoringInfos();
  }

  public synchronized Iterable<MonitoringInfo> attemptedMonitoringInfos() {
    return attempted.getMonitoringInfos();
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
