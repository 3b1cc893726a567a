package dev.millrace.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PortablePipelineOptions;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.util.construction.DefaultArtifactResolver;
import org.apache.beam.sdk.util.construction.Environments;
import org.apache.beam.sdk.util.construction.External;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.sdk.util.construction.SdkComponents;

/**
 * Java pipelines with transforms expanded by another SDK's expansion service (Beam's {@code
 * External}): their Python or Go parts can only run in that SDK's harness, so the whole pipeline
 * goes the portable way, in this JVM: its Java transforms in the Java harness embedded here
 * (EMBEDDED, on this class path, nothing staged), the others in the environment their expansion
 * service gave them.
 */
final class CrossLanguagePipelines {
  private CrossLanguagePipelines() {}

  /** The full names of {@code pipeline}'s expanded external transforms; empty if none. */
  static List<String> externalTransforms(Pipeline pipeline) {
    List<String> names = new ArrayList<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (node.getTransform() instanceof External.ExpandableTransform) {
              names.add(node.getFullName());
              return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            // Its expansion lives in the proto it holds, not in this hierarchy: a leaf here.
            if (node.getTransform() instanceof External.ExpandableTransform) {
              names.add(node.getFullName());
            }
          }
        });
    return names;
  }

  static MillracePipelineResult start(
      Pipeline pipeline, List<String> external, MillracePipelineOptions options) {
    SdkHarnessExecution execution =
        ServiceLoader.load(SdkHarnessExecution.class, CrossLanguagePipelines.class.getClassLoader())
            .findFirst()
            .orElseThrow(
                () ->
                    new UnsupportedOperationException(
                        "The pipeline has cross-language transforms "
                            + external
                            + ", which run in another SDK's"
                            + " harness. MillraceRunner starts SDK harnesses with the classes of"
                            + " dev.millrace:millrace-job-server: add it to the class path, or submit the pipeline"
                            + " to a Millrace job server (--runner=PortableRunner --jobEndpoint=host:port)."));
    PortablePipelineOptions portable = options.as(PortablePipelineOptions.class);
    String environment = portable.getDefaultEnvironmentType();
    if (environment == null || environment.isEmpty()) {
      // The Java transforms run in the harness embedded in this JVM, which has their classes.
      portable.setDefaultEnvironmentType(Environments.ENVIRONMENT_EMBEDDED);
    }
    if (portable.getFilesToStage() == null) {
      portable.setFilesToStage(List.of());
    }
    RunnerApi.Pipeline proto = PipelineTranslation.toProto(pipeline, SdkComponents.create(options));
    return execution.start(DefaultArtifactResolver.INSTANCE.resolveArtifacts(proto), options);
  }
}
