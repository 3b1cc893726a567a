package dev.millrace.runner.monitor;

import dev.millrace.engine.JobExecution;
import dev.millrace.engine.SubtaskFigures;
import dev.millrace.runner.MillracePipelineResult;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;

/**
 * A job as whoever watches it sees it: its result handle, where it came from, and the last two
 * samples of its figures, from which rates are taken.
 */
public final class MonitoredJob {
  private final String id;
  private final String name;
  private final JobOrigin origin;
  private final MillracePipelineResult result;
  private final long startedAtMillis = System.currentTimeMillis();
  private volatile long endedAtMillis;

  private volatile Sample latest;
  private volatile Sample previous;

  /** A sample was taken after the job ended: its figures are final. */
  private volatile boolean finalSampleTaken;

  /** Figures of every subtask at one moment. */
  record Sample(long atMillis, List<SubtaskFigures> figures) {}

  MonitoredJob(String id, String name, JobOrigin origin, MillracePipelineResult result) {
    this.id = id;
    this.name = name;
    this.origin = origin;
    this.result = result;
    sample();
  }

  public String id() {
    return id;
  }

  public String name() {
    return name;
  }

  public JobOrigin origin() {
    return origin;
  }

  public MillracePipelineResult result() {
    return result;
  }

  public long startedAtMillis() {
    return startedAtMillis;
  }

  /** When it was first seen ended, 0 while it runs. */
  public long endedAtMillis() {
    noteEnd();
    return endedAtMillis;
  }

  public PipelineResult.State state() {
    return result.getState();
  }

  public boolean isRunning() {
    return !state().isTerminal();
  }

  public JobExecution attempt() {
    return result.currentAttempt();
  }

  /** Reads every subtask's figures; the previous reading is kept for rates. */
  synchronized void sample() {
    boolean ended = state().isTerminal();
    Sample now = new Sample(System.currentTimeMillis(), attempt().figures());
    previous = latest;
    latest = now;
    finalSampleTaken = ended;
    noteEnd();
  }

  private void noteEnd() {
    if (endedAtMillis == 0 && state().isTerminal()) {
      endedAtMillis = System.currentTimeMillis();
    }
  }

  /**
   * The latest sample; a fresh one while the job runs and the last is older than a second, and one
   * more once it has ended, with its final figures.
   */
  Sample latest() {
    Sample last = latest;
    if (isRunning() ? System.currentTimeMillis() - last.atMillis() >= 1_000 : !finalSampleTaken) {
      sample();
    }
    return latest;
  }

  /** The sample before the latest, or null. */
  Sample previous() {
    return previous;
  }
}
