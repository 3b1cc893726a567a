package dev.millrace.engine;

import dev.millrace.plan.Edge;
import java.util.function.Consumer;

/**
 * How a job is spread over several processes, each running a {@link JobExecution} of the same plan:
 * which subtasks run in this one, and the transport of the edges whose two ends may be in different
 * processes. The engine builds only the subtasks placed here; each producer subtask of a remote
 * edge writes to an {@link RemoteOutlet}, and each consumer subtask reads one channel the transport
 * feeds through a {@link RemoteInlet}. Edges that are not remote must have both ends of every
 * channel here.
 *
 * <p>The engine knows nothing of how the transport works (a broker, sockets, memory).
 */
public interface RemoteExchange {
  /** Everything runs here and nothing is remote: a job in one process. */
  RemoteExchange NONE =
      new RemoteExchange() {
        @Override
        public boolean runsHere(int vertex, int subtask) {
          return true;
        }

        @Override
        public boolean isRemote(Edge edge) {
          return false;
        }

        @Override
        public RemoteOutlet outlet(Edge edge, int producerSubtask, Runnable wakeWorkers) {
          throw new IllegalStateException("no edge is remote");
        }

        @Override
        public void bind(Edge edge, int consumerSubtask, RemoteInlet inlet) {
          throw new IllegalStateException("no edge is remote");
        }
      };

  /** Whether subtask {@code subtask} of vertex {@code vertex} runs in this process. */
  boolean runsHere(int vertex, int subtask);

  /** Whether {@code edge}'s elements go through the transport. */
  boolean isRemote(Edge edge);

  /**
   * Where producer subtask {@code producerSubtask} (placed here) sends a remote edge's elements;
   * {@code wakeWorkers} makes the job's workers look again once a blocked outlet has room.
   */
  RemoteOutlet outlet(Edge edge, int producerSubtask, Runnable wakeWorkers);

  /** The channel through which consumer subtask {@code consumerSubtask} (placed here) reads. */
  void bind(Edge edge, int consumerSubtask, RemoteInlet inlet);

  /**
   * Every subtask here exists and every inlet is bound: the transport may start delivering. When it
   * cannot go on (its connection lost for good, a record it cannot read), it calls {@code failJob}.
   */
  default void start(Consumer<Throwable> failJob) {}

  /** The job ended here, whatever its status: stop delivering and let go of the transport. */
  default void close() {}
}
