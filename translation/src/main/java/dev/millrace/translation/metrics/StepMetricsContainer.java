package dev.millrace.translation.metrics;

import org.apache.beam.runners.core.metrics.CounterCell;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.sdk.metrics.MetricName;

/**
 * A step's metrics container that finds the counters it was asked for last by the identity of their
 * names. A counter incremented for every element (a source's elements read, a user's counter) asks
 * its container for its cell on each increment; runners-core's container hashes the name (an
 * AutoValue of strings) and compares it in a concurrent map each time, 8.5% of streaming Q3's
 * samples. The same {@code Counter} object passes the same name each time, so identity finds it;
 * any other name goes to the map as before. Cells live as long as the container: its reset zeroes
 * them in place.
 */
final class StepMetricsContainer extends MetricsContainerImpl {
  private static final int SLOTS = 4;

  private final MetricName[] names = new MetricName[SLOTS];
  private final CounterCell[] cells = new CounterCell[SLOTS];
  private int next;

  StepMetricsContainer(String step) {
    super(step);
  }

  @Override
  public CounterCell getCounter(MetricName name) {
    for (int i = 0; i < SLOTS; i++) {
      if (names[i] == name) {
        return cells[i];
      }
    }
    CounterCell cell = super.getCounter(name);
    names[next] = name;
    cells[next] = cell;
    next = (next + 1) % SLOTS;
    return cell;
  }
}
