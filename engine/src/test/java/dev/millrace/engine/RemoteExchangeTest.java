package dev.millrace.engine;

import static dev.millrace.engine.TestOperators.WAIT;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.engine.testing.KeyedSumPlan;
import dev.millrace.plan.Edge;
import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.Plan;
import dev.millrace.plan.Watermarks;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A plan spread over several {@link JobExecution}s through {@link RemoteExchange}: each runs the
 * subtasks placed with it, and the HASH edge goes through an in-memory transport that, like a
 * broker, hands frames to a delivery thread of its own and tells each consumer the minimum
 * watermark over every producer.
 */
@Timeout(120)
class RemoteExchangeTest {

  @Test
  void threeProcessesComputeWhatOneDoes() throws Exception {
    KeyedSumPlan one = new KeyedSumPlan(20_000, 37, 4, 5, 16);
    JobExecution single = JobExecution.start(one.build(), "single", ExecutionSettings.defaults());
    assertThat(single.await(WAIT), is(JobStatus.DONE));
    assertThat(one.sums(), equalTo(one.expected()));

    KeyedSumPlan spread = new KeyedSumPlan(20_000, 37, 4, 5, 16);
    Plan plan = spread.build();
    Wire wire = new Wire(plan, 3);
    List<JobExecution> processes = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      processes.add(
          JobExecution.start(plan, "spread-" + p, ExecutionSettings.defaults(), wire.process(p)));
    }
    for (JobExecution process : processes) {
      assertThat(process.await(WAIT), is(JobStatus.DONE));
    }
    assertThat(spread.sums(), equalTo(one.sums()));
    // Each process ran only its own subtasks: 4 sources and 5 sums over 3 processes.
    assertThat(
        processes.stream().mapToInt(p -> p.figures().size()).boxed().toList(),
        equalTo(List.of(4, 3, 2)));
  }

  @Test
  void anEdgeThatIsNotRemoteMustNotCrossProcesses() {
    KeyedSumPlan sums = new KeyedSumPlan(10, 2, 2, 2, 16);
    RemoteExchange nothingRemote =
        new Wire(sums.build(), 2) {
          @Override
          boolean remote(Edge edge) {
            return false;
          }
        }.process(0);
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                JobExecution.start(
                    sums.build(), "crossing", ExecutionSettings.defaults(), nothingRemote));
    assertThat(refused.getMessage(), containsString("from count to sum by key"));
    assertThat(refused.getMessage(), containsString("placed in different processes"));
  }

  /**
   * The transport: subtask s of every vertex runs in process s % processes; a HASH edge's frames
   * queue per consumer subtask and a delivery thread moves them into the consumers' inlets, with
   * the minimum of every producer's latest watermark.
   */
  static class Wire {
    private final Plan plan;
    private final int processes;
    private final Map<String, Consumer> consumers = new ConcurrentHashMap<>();
    private int open;
    private Thread delivery;

    Wire(Plan plan, int processes) {
      this.plan = plan;
      this.processes = processes;
      this.open = processes;
    }

    boolean remote(Edge edge) {
      return edge.kind() == EdgeKind.HASH;
    }

    private record Frame(int producer, byte[] data, int[] ends, int count, long watermark) {}

    /** One consumer subtask's queue and what each producer last said of its watermark. */
    private static final class Consumer {
      final ConcurrentLinkedQueue<Frame> frames = new ConcurrentLinkedQueue<>();
      final long[] producerWatermarks;
      volatile RemoteInlet inlet;
      long delivered = Watermarks.MIN;
      Frame waiting;

      Consumer(int producers) {
        producerWatermarks = new long[producers];
        Arrays.fill(producerWatermarks, Watermarks.MIN);
      }

      /** Moves what it can into the inlet; returns whether anything moved. */
      boolean deliver() {
        boolean moved = false;
        while (inlet != null) {
          Frame frame = waiting != null ? waiting : frames.poll();
          if (frame == null) {
            return moved;
          }
          waiting = frame;
          if (frame.count() > 0
              && !inlet.offer(
                  frame.data(), frame.ends(), frame.count(), RemoteInlet.NO_WATERMARK)) {
            return moved;
          }
          if (frame.watermark() != RemoteInlet.NO_WATERMARK) {
            producerWatermarks[frame.producer()] = frame.watermark();
            long min = Arrays.stream(producerWatermarks).min().orElseThrow();
            if (min > delivered) {
              if (!inlet.offerWatermark(min)) {
                // The elements went in; only the watermark is left to tell.
                waiting = new Frame(frame.producer(), null, null, 0, frame.watermark());
                return true;
              }
              delivered = min;
            }
          }
          waiting = null;
          moved = true;
        }
        return moved;
      }
    }

    private Consumer consumer(Edge edge, int subtask) {
      int producers = plan.vertices().get(edge.from().vertex()).parallelism();
      return consumers.computeIfAbsent(edge.id() + "/" + subtask, k -> new Consumer(producers));
    }

    private synchronized void started() {
      if (delivery == null) {
        delivery =
            new Thread(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    boolean moved = false;
                    for (Consumer consumer : consumers.values()) {
                      moved |= consumer.deliver();
                    }
                    if (!moved) {
                      try {
                        Thread.sleep(1);
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                  }
                },
                "in-memory-wire");
        delivery.setDaemon(true);
        delivery.start();
      }
    }

    private synchronized void closed() {
      if (--open == 0) {
        delivery.interrupt();
      }
    }

    RemoteExchange process(int process) {
      return new RemoteExchange() {
        @Override
        public boolean runsHere(int vertex, int subtask) {
          return subtask % processes == process;
        }

        @Override
        public boolean isRemote(Edge edge) {
          return remote(edge);
        }

        @Override
        public RemoteOutlet outlet(Edge edge, int producer, Runnable wakeWorkers) {
          return new Outlet(edge, producer);
        }

        @Override
        public void bind(Edge edge, int consumerSubtask, RemoteInlet inlet) {
          consumer(edge, consumerSubtask).inlet = inlet;
        }

        @Override
        public void start(java.util.function.Consumer<Throwable> failJob) {
          started();
        }

        @Override
        public void close(boolean succeeded) {
          closed();
        }
      };
    }

    /** Encodes each element into its consumer's batch; never blocks (the queues are unbounded). */
    private final class Outlet implements RemoteOutlet {
      private final Edge edge;
      private final int producer;
      private final int consumerCount;
      private final Batch[] batches;

      Outlet(Edge edge, int producer) {
        this.edge = edge;
        this.producer = producer;
        this.consumerCount = plan.vertices().get(edge.to().vertex()).parallelism();
        this.batches = new Batch[consumerCount];
        for (int c = 0; c < consumerCount; c++) {
          batches[c] = new Batch();
        }
      }

      @Override
      public void emit(Object element) throws Exception {
        int group = edge.keyGroups().keyGroupOf(element);
        Batch batch = batches[KeyGroups.subtaskOf(group, edge.maxKeyGroups(), consumerCount)];
        edge.codec().encode(element, batch.bytes);
        batch.ends.add(batch.bytes.size());
      }

      @Override
      public void flush() {
        send(RemoteInlet.NO_WATERMARK);
      }

      @Override
      public void barrier(long checkpointId) {
        throw new UnsupportedOperationException("this wire takes no checkpoints");
      }

      @Override
      public void advanceWatermark(long watermark) {
        send(watermark);
      }

      private void send(long watermark) {
        for (int c = 0; c < consumerCount; c++) {
          Batch batch = batches[c];
          if (batch.ends.isEmpty() && watermark == RemoteInlet.NO_WATERMARK) {
            continue;
          }
          int[] ends = batch.ends.stream().mapToInt(Integer::intValue).toArray();
          consumer(edge, c)
              .frames
              .add(new Frame(producer, batch.bytes.toByteArray(), ends, ends.length, watermark));
          batches[c] = new Batch();
        }
      }

      @Override
      public boolean isBlocked() {
        return false;
      }

      @Override
      public boolean tryFlushOverflow() {
        return false;
      }
    }

    private static final class Batch {
      final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      final List<Integer> ends = new ArrayList<>();
    }
  }
}
