package dev.millrace.translation.metrics;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.core.metrics.DistributionData;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
import org.apache.beam.runners.core.metrics.MonitoringInfoEncodings;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.metrics.MetricsEnvironment.MetricsEnvironmentState;

/**
 * User metrics of one job. Each subtask of a step writes into a container of its own; at the end of
 * a bundle it is merged into the attempted totals, and into the committed ones unless the bundle
 * failed.
 *
 * <p>Committed metrics are kept per subtask of a step ({@link CommittedMetrics}, bound when the
 * operator opens) and summed when asked for. A checkpoint saves each subtask's part, so a job
 * restarted from it, in this process or another, counts committed work up to the checkpoint once
 * and what it redoes after it once more, never twice: the restarted attempt's operators bind anew,
 * replacing the failed attempt's parts, and restore the checkpoint's. Attempted metrics count every
 * attempt. One operator per step name and subtask binds (step names are unique in a plan).
 */
public final class JobMetrics {
  private final MetricsContainerStepMap attempted = new MetricsContainerStepMap();

  /** Commits of containers bound to no subtask (sources splitting at translation). */
  private final MetricsContainerStepMap committedUnbound = new MetricsContainerStepMap();

  /** Per operator and subtask (the latest attempt's), what its committed bundles reported. */
  private final Map<String, CommittedMetrics> committedBySubtask = new HashMap<>();

  public BundleMetrics forStep(String stepName) {
    return new BundleMetrics(stepName);
  }

  /**
   * The committed metrics of subtask {@code subtask} of a stage run by an SDK harness, empty: they
   * replace those an earlier attempt of the job bound for it. Its metrics are named as the harness
   * reports them ({@link #updateFromMonitoringInfos}).
   */
  public CommittedMetrics bind(String stage, int subtask) {
    return bind(stage, subtask, false);
  }

  private synchronized CommittedMetrics bind(String owner, int subtask, boolean userMetricNames) {
    CommittedMetrics part = new CommittedMetrics(userMetricNames);
    CommittedMetrics earlier = committedBySubtask.put(owner + "#" + subtask, part);
    part.firstAttemptInThisProcess = earlier == null;
    return part;
  }

  /**
   * Adds what an SDK harness reported for one completed bundle: its user metrics, each labelled
   * with the transform it belongs to; committed to {@code committed}, the stage subtask's part.
   */
  public synchronized void updateFromMonitoringInfos(
      Iterable<MonitoringInfo> infos, CommittedMetrics committed) {
    for (MonitoringInfo info : infos) {
      String step = stepOf(info);
      if (step == null) {
        continue;
      }
      List<MonitoringInfo> one = List.of(info);
      attempted.getContainer(step).update(one);
      committed.containers.getContainer(step).update(one);
    }
  }

  /** The transform a metric belongs to, or null for one that is nothing a user asked for. */
  private static String stepOf(MonitoringInfo info) {
    String step = info.getLabelsMap().get(MonitoringInfoConstants.Labels.PTRANSFORM);
    return step == null || info.getPayload().isEmpty() ? null : step;
  }

  private MetricsContainerStepMap committed() {
    MetricsContainerStepMap committed = new MetricsContainerStepMap();
    committed.updateAll(committedUnbound);
    for (CommittedMetrics part : committedBySubtask.values()) {
      committed.updateAll(part.containers);
    }
    return committed;
  }

  /** Committed and attempted metrics as the portability API carries them. */
  public synchronized Iterable<MonitoringInfo> committedMonitoringInfos() {
    return committed().getMonitoringInfos();
  }

  public synchronized Iterable<MonitoringInfo> attemptedMonitoringInfos() {
    return attempted.getMonitoringInfos();
  }

  public synchronized MetricResults results() {
    return MetricsContainerStepMap.asMetricResults(attempted, committed());
  }

  /**
   * What the committed bundles of one subtask of an operator reported, since the job started (a
   * restored checkpoint's part included). Written to and read from a snapshot as MonitoringInfos.
   */
  public final class CommittedMetrics {
    private final MetricsContainerStepMap containers = new MetricsContainerStepMap();

    /** Java user code's metrics are keyed by namespace and name; a harness's by URN and labels. */
    private final boolean userMetricNames;

    /** No earlier attempt of the job ran this subtask in this process (a resume in a new one). */
    private boolean firstAttemptInThisProcess;

    private CommittedMetrics(boolean userMetricNames) {
      this.userMetricNames = userMetricNames;
    }

    /** Appends these metrics to an operator's snapshot stream. */
    public void snapshot(DataOutputStream out) throws IOException {
      List<byte[]> infos = new ArrayList<>();
      synchronized (JobMetrics.this) {
        for (MonitoringInfo info : containers.getMonitoringInfos()) {
          infos.add(info.toByteArray());
        }
      }
      out.writeInt(infos.size());
      for (byte[] info : infos) {
        out.writeInt(info.length);
        out.write(info);
      }
    }

    /**
     * Takes back what {@link #snapshot} wrote, if anything: a snapshot from before metrics were
     * kept in checkpoints ends where they would begin. In a new process the restored values count
     * as attempted too (attempts before the checkpoint made them); after a restart in this one, the
     * failed attempt's attempted metrics hold them already.
     */
    public void restore(DataInputStream in) throws IOException {
      if (in.available() == 0) {
        return;
      }
      List<MonitoringInfo> infos = new ArrayList<>();
      for (int count = in.readInt(); count > 0; count--) {
        infos.add(MonitoringInfo.parseFrom(in.readNBytes(in.readInt())));
      }
      synchronized (JobMetrics.this) {
        for (MonitoringInfo info : infos) {
          String step = stepOf(info);
          if (step == null) {
            continue;
          }
          add(containers.getContainer(step), info);
          if (firstAttemptInThisProcess) {
            add(attempted.getContainer(step), info);
          }
        }
      }
    }

    private void add(MetricsContainerImpl container, MonitoringInfo info) {
      if (userMetricNames) {
        addAsUserMetric(container, info);
      } else {
        container.update(List.of(info));
      }
    }
  }

  /** Adds a user metric's MonitoringInfo to the cell its namespace and name address. */
  private static void addAsUserMetric(MetricsContainerImpl container, MonitoringInfo info) {
    Map<String, String> labels = info.getLabelsMap();
    MetricName name =
        MetricName.named(
            labels.get(MonitoringInfoConstants.Labels.NAMESPACE),
            labels.get(MonitoringInfoConstants.Labels.NAME));
    switch (info.getType()) {
      case MonitoringInfoConstants.TypeUrns.SUM_INT64_TYPE ->
          container
              .getCounter(name)
              .inc(MonitoringInfoEncodings.decodeInt64Counter(info.getPayload()));
      case MonitoringInfoConstants.TypeUrns.DISTRIBUTION_INT64_TYPE -> {
        DistributionData data = MonitoringInfoEncodings.decodeInt64Distribution(info.getPayload());
        container.getDistribution(name).update(data.sum(), data.count(), data.min(), data.max());
      }
      case MonitoringInfoConstants.TypeUrns.LATEST_INT64_TYPE ->
          container
              .getGauge(name)
              .set(MonitoringInfoEncodings.decodeInt64Gauge(info.getPayload()).value());
      case MonitoringInfoConstants.TypeUrns.SET_STRING_TYPE -> {
        for (String value :
            MonitoringInfoEncodings.decodeStringSet(info.getPayload()).stringSet()) {
          container.getStringSet(name).add(value);
        }
      }
      default ->
          throw new IllegalStateException(
              "a checkpoint holds a metric of a kind Millrace does not keep: " + info);
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

    /** Where committed bundles report, once bound to a subtask; null before. */
    private CommittedMetrics committed;

    private BundleMetrics(String step) {
      this.step = step;
      this.container = new StepMetricsContainer(step);
    }

    /**
     * This step's metrics are those of subtask {@code subtask} from now on: they count in place of
     * an earlier attempt's, and go into checkpoints ({@link #committed()}).
     */
    public void bind(int subtask) {
      committed = JobMetrics.this.bind(step, subtask, true);
    }

    /** The subtask's committed metrics (see {@link #bind}). */
    public CommittedMetrics committed() {
      if (committed == null) {
        throw new IllegalStateException("the metrics of " + step + " are bound to no subtask");
      }
      return committed;
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
      merge(true);
    }

    public void abort() {
      merge(false);
    }

    private void merge(boolean commit) {
      synchronized (JobMetrics.this) {
        attempted.getContainer(step).update(container);
        if (commit) {
          (committed == null ? committedUnbound : committed.containers)
              .getContainer(step)
              .update(container);
        }
      }
      container.reset();
    }
  }
}
