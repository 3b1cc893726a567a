package dev.millrace.runner;

import org.apache.beam.model.pipeline.v1.RunnerApi;

/**
 * Runs a pipeline in its portable form, its user code in SDK harnesses over the Fn API, on the
 * engine in this JVM. {@link MillraceRunner} needs it for pipelines with transforms of another SDK
 * (cross-language transforms): only a harness of that SDK can run them. The Java runner has no
 * harness machinery of its own; {@code millrace-job-server} provides it (found through {@link
 * java.util.ServiceLoader}), so a Java user who needs it adds that artifact.
 */
public interface SdkHarnessExecution {

  /** Starts {@code pipeline} (not yet fused) with {@code options}; returns once it runs. */
  MillracePipelineResult start(RunnerApi.Pipeline pipeline, MillracePipelineOptions options);
}
