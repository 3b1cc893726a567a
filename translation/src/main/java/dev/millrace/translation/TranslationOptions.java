package dev.millrace.translation;

import org.apache.beam.sdk.options.PipelineOptions;

/**
 * What both translators (Java and portable) need to know of a job's options.
 *
 * @param pipelineOptions the job's options, which operators carry to user code
 * @param parallelism subtasks per vertex
 * @param streamingRequested {@code --streaming}: run the streaming way even on bounded input
 * @param stateBackend {@code --stateBackend}, or null for the default of the job's mode
 */
public record TranslationOptions(
    PipelineOptions pipelineOptions,
    int parallelism,
    boolean streamingRequested,
    String stateBackend) {}
