package dev.millrace.runner;

import java.util.List;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/** Lets {@code --runner=MillraceRunner} and {@code --runner=TestMillraceRunner} find us. */
public final class MillraceRunnerRegistrar {
  private MillraceRunnerRegistrar() {}

  public static final class Runner implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return List.of(MillraceRunner.class, TestMillraceRunner.class);
    }
  }

  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(MillracePipelineOptions.class);
    }
  }
}
