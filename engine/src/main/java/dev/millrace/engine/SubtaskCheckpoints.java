package dev.millrace.engine;

import dev.millrace.plan.InMemorySnapshot;
import dev.millrace.plan.Operator;
import dev.millrace.plan.Vertex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One subtask's part in checkpoints: barrier alignment (a channel whose barrier came is held back,
 * its later messages kept here in order, until the barrier came on every channel still open), the
 * snapshot of the subtask and its operators, completion notices, and the restore of a restarted
 * job. With checkpoints off ({@code coordinator} null) every call is a no-op.
 */
final class SubtaskCheckpoints {
  private final CheckpointCoordinator coordinator;

  /** Names the subtask's part of a checkpoint; stable across runs of the same plan. */
  private final String key;

  /** Per channel: the latest checkpoint whose barrier arrived on it. */
  private final long[] channelBarriers;

  /** Messages that arrived behind a barrier while the other channels' barriers were awaited. */
  private final ArrayDeque<Message> heldBack = new ArrayDeque<>();

  /** Held-back messages to handle, in order, before anything new from the inbox. */
  private final ArrayDeque<Message> released = new ArrayDeque<>();

  /** The latest checkpoint this subtask took part in (or resumed from). */
  private long lastSnapshot;

  /** The latest completed checkpoint this subtask's operators were told of. */
  private long lastNotified;

  /** On a restarted job: what the subtask resumes from, until it opened. */
  private SubtaskSnapshot restoreFrom;

  private Path restoreDirectory;

  SubtaskCheckpoints(CheckpointCoordinator coordinator, String key, int channels) {
    this.coordinator = coordinator;
    this.key = key;
    this.channelBarriers = new long[coordinator == null ? 0 : channels];
  }

  boolean enabled() {
    return coordinator != null;
  }

  String key() {
    return key;
  }

  /**
   * Before the job starts: resume from {@code snapshot}, taken by checkpoint {@code checkpointId}.
   */
  void restoreFrom(long checkpointId, Path subtaskDirectory, SubtaskSnapshot snapshot) {
    this.restoreFrom = snapshot;
    this.restoreDirectory = subtaskDirectory;
    this.lastSnapshot = checkpointId;
    this.lastNotified = checkpointId;
  }

  /** Fails when checkpoints are on and an operator of the chain cannot take part in them. */
  void checkSupported(Operator[] operators, Vertex vertex) {
    if (coordinator == null) {
      return;
    }
    List<String> unsupported = new ArrayList<>();
    for (int op = 0; op < operators.length; op++) {
      if (!operators[op].isCheckpointable()) {
        unsupported.add(
            vertex.operators().get(op).name()
                + " ("
                + operators[op].getClass().getSimpleName()
                + ")");
      }
    }
    if (!unsupported.isEmpty()) {
      throw new UnsupportedOperationException(
          "Checkpoints are on, but Millrace cannot checkpoint these steps yet: "
              + String.join(", ", unsupported)
              + ". Batch-only steps have no snapshot; run this pipeline with checkpoints off");
    }
  }

  /** Whether the subtask had finished before the checkpoint it resumes from. */
  boolean resumesFinished() {
    return restoreFrom != null && restoreFrom.finished();
  }

  /** A held-back message to handle before the inbox's next, or null. */
  Message nextReleased() {
    return released.poll();
  }

  /**
   * Takes {@code message} if it is not the subtask's to handle now: a barrier (noted), or anything
   * that came behind its channel's barrier (held back until the checkpoint is taken).
   */
  boolean intercept(Message message) {
    if (channelBarriers.length == 0) {
      return false;
    }
    if (channelBarriers[message.channel()] > lastSnapshot) {
      // Behind this channel's barrier: it belongs after the checkpoint being aligned.
      heldBack.add(message);
      return true;
    }
    if (message instanceof Message.Barrier barrier) {
      // A barrier of a checkpoint already taken (the channel had ended, which counted) is moot.
      if (barrier.checkpointId() > lastSnapshot) {
        channelBarriers[barrier.channel()] = barrier.checkpointId();
      }
      return true;
    }
    return false;
  }

  /**
   * The checkpoint the job asked for, once its barrier came on every channel still open (a subtask
   * fed only by sources: at once); 0 when there is none to take part in now.
   */
  long aligned(PortWatermarks watermarks) {
    if (coordinator == null) {
      return 0;
    }
    long id = coordinator.requested();
    if (id <= lastSnapshot) {
      return 0;
    }
    for (int c = 0; c < channelBarriers.length; c++) {
      if (channelBarriers[c] < id && !watermarks.channelEnded(c)) {
        return 0;
      }
    }
    return id;
  }

  /**
   * Writes the subtask's part of checkpoint {@code id} (its bundle committed), sends the barrier
   * on, releases what was held back and acknowledges.
   */
  void snapshot(
      long id,
      Operator[] operators,
      PortWatermarks watermarks,
      boolean[] sourceDone,
      List<EdgeWriter> writers)
      throws Exception {
    long startNanos = System.nanoTime();
    Path directory = coordinator.directoryFor(id, key);
    byte[][] data = new byte[operators.length][];
    for (int op = 0; op < operators.length; op++) {
      InMemorySnapshot writer =
          new InMemorySnapshot(id, SubtaskSnapshot.operatorDirectory(directory, op));
      operators[op].snapshotState(writer);
      data[op] = writer.toByteArray();
    }
    PortWatermarks.Saved saved = watermarks.save();
    try {
      new SubtaskSnapshot(false, saved.channels(), saved.ports(), saved.outputs(), sourceDone, data)
          .write(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write checkpoint " + id + " of " + key, e);
    }
    for (EdgeWriter writer : writers) {
      writer.sendBarrier(id);
    }
    lastSnapshot = id;
    released.addAll(heldBack);
    heldBack.clear();
    coordinator.acknowledge(key, id, startNanos);
  }

  /** Tells the operators, between bundles, of a checkpoint that completed since they last heard. */
  void notifyComplete(Operator[] operators) throws Exception {
    if (coordinator == null) {
      return;
    }
    long completed = Math.min(coordinator.completed(), lastSnapshot);
    if (completed > lastNotified) {
      lastNotified = completed;
      for (Operator operator : operators) {
        operator.checkpointComplete(completed);
      }
    }
  }

  /** Whether an operator holds something it lets go of only when a checkpoint completes. */
  boolean awaited(Operator[] operators) {
    if (coordinator == null) {
      return false;
    }
    for (Operator operator : operators) {
      if (operator.awaitsCheckpoint()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Input ended and an operator waits for a checkpoint to let go of what it holds: asks for one
   * now, unless one that will cover this subtask is under way. Its completion wakes the subtask.
   */
  void askIfAwaitedAtEnd(Operator[] operators) {
    if (awaited(operators)
        && coordinator.requested() <= lastSnapshot
        && coordinator.completed() >= lastSnapshot) {
      coordinator.trigger("at end of input");
    }
  }

  /**
   * Right after the operators opened on a restarted job: they and the watermarks take back their
   * state. Returns, per operator, whether it was a source that had finished; null when there is
   * nothing to restore.
   */
  boolean[] restore(Operator[] operators, PortWatermarks watermarks) throws Exception {
    SubtaskSnapshot snapshot = restoreFrom;
    if (snapshot == null) {
      return null;
    }
    restoreFrom = null;
    if (snapshot.operatorData().length != operators.length
        || snapshot.channelWatermarks().length != watermarks.channelCount()) {
      throw new IllegalStateException("The checkpoint of " + key + " does not fit its plan");
    }
    for (int op = 0; op < operators.length; op++) {
      operators[op].restoreState(
          InMemorySnapshot.reader(
              lastSnapshot,
              SubtaskSnapshot.operatorDirectory(restoreDirectory, op),
              snapshot.operatorData()[op]));
    }
    watermarks.restore(
        new PortWatermarks.Saved(
            snapshot.channelWatermarks(), snapshot.portWatermarks(), snapshot.outputWatermarks()));
    return snapshot.sourceDone();
  }
}
