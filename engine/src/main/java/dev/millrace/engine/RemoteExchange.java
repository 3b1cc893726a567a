package dev.millrace.engine;

import dev.millrace.plan.Edge;
import java.nio.file.Path;
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

  /**
   * The job ended here: stop delivering and let go of the transport. {@code succeeded}: every
   * subtask here finished, and what they sent since the last checkpoint is final; otherwise it is
   * to be forgotten (the job will resume from its last checkpoint, or not at all).
   */
  default void close(boolean succeeded) {}

  /**
   * With checkpoints on: the checkpoint this process's share resumes from, the latest whose
   * completion the transport made durable ({@link #checkpointCompleted}); 0 to start afresh, even
   * when later checkpoints were written here.
   */
  default long checkpointToResume() {
    return 0;
  }

  /**
   * Checkpoint {@code id} starts: the transport puts its barrier into every inlet, right behind
   * what it delivered so far, and notes how far it has read.
   */
  default void checkpointStarted(long id) {}

  /**
   * Every subtask here wrote its part of checkpoint {@code id}, which is complete on disk in {@code
   * directory}: the transport makes the output sent before the barrier and the reading positions
   * noted at its start durable together, before any operator hears of the completion; a transport
   * that keeps state off this machine makes the directory's files durable with them. Throwing fails
   * the job.
   */
  default void checkpointCompleted(long id, Path directory) {}

  /**
   * Checkpoint {@code id}, the one to resume ({@link #checkpointToResume}), is not on this
   * process's disk (the share runs on another machine now, or the disk was lost): the transport
   * writes the files it made durable with it into the empty {@code directory}, the checkpoint's
   * metadata included, and says whether it had them.
   */
  default boolean fetchCheckpoint(long id, Path directory) {
    return false;
  }

  /** The share resumes from checkpoint {@code id}, whose files are in {@code directory}. */
  default void resumed(long id, Path directory) {}
}
