package dev.millrace.translation.operators.stage;

import org.apache.beam.runners.fnexecution.control.JobBundleFactory;
import org.apache.beam.runners.fnexecution.control.StageBundleFactory;
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;

/**
 * A job's bundle factories when an environment has several SDK harnesses ({@code
 * --sdk_worker_parallelism}): each subtask of a stage is placed on one of them, the same one for
 * every stage, so the subtasks that run side by side use different harness processes.
 */
public interface SubtaskHarnesses extends JobBundleFactory {

  /** The bundle factory of subtask {@code subtask} of {@code stage}. */
  StageBundleFactory forSubtask(ExecutableStage stage, int subtask);
}
