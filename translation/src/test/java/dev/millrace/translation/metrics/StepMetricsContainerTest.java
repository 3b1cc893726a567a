package dev.millrace.translation.metrics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.sameInstance;

import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.sdk.metrics.MetricName;
import org.junit.jupiter.api.Test;

class StepMetricsContainerTest {
  private static long cumulative(MetricsContainerImpl container, MetricName name) {
    MetricsContainerImpl plain = new MetricsContainerImpl("step");
    plain.update(container);
    return plain.getCounter(name).getCumulative();
  }

  @Test
  void countsLandInTheContainersOwnCellsBeforeAndAfterAReset() {
    StepMetricsContainer container = new StepMetricsContainer("step");
    MetricName name = MetricName.named("ns", "read");
    container.getCounter(name).inc(2);
    container.getCounter(name).inc(3);
    assertThat(cumulative(container, name), is(5L));
    container.reset();
    container.getCounter(name).inc(7);
    assertThat(cumulative(container, name), is(7L));
  }

  @Test
  void anEqualNameOfAnotherObjectAndManyNamesFindTheirCells() {
    StepMetricsContainer container = new StepMetricsContainer("step");
    MetricName[] names = new MetricName[9];
    for (int i = 0; i < names.length; i++) {
      names[i] = MetricName.named("ns", "c" + i);
    }
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < names.length; i++) {
        container.getCounter(names[i]).inc(i + 1);
        container.getCounter(MetricName.named("ns", "c" + i)).inc(1);
      }
    }
    for (int i = 0; i < names.length; i++) {
      assertThat(cumulative(container, names[i]), is(3L * (i + 2)));
      assertThat(
          container.getCounter(names[i]),
          sameInstance(container.getCounter(MetricName.named("ns", "c" + i))));
    }
  }
}
