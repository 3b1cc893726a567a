package dev.millrace.engine;

import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * What every subtask of a job shares: the job's settings and clock, its control, its quiescence
 * count, its checkpoint coordinator (null unless the job checkpoints) and its scheduler (started on
 * first use).
 */
record SubtaskServices(
    ExecutionSettings settings,
    JobControl control,
    Quiescence quiescence,
    CheckpointCoordinator checkpoints,
    Supplier<ScheduledExecutorService> scheduler) {

  JobClock clock() {
    return settings.clock();
  }
}
