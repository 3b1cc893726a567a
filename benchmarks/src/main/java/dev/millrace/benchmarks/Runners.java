package dev.millrace.benchmarks;

import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** The runners a benchmark can compare, by the names the table uses. */
public final class Runners {
  /** Plain Java: the same query logic without Beam, the physical-limit column. */
  public static final String PLAIN = "plain-java";

  public static final List<String> BEAM = List.of("millrace", "millrace-rocksdb", "direct");

  private Runners() {}

  public static List<String> all() {
    List<String> all = new java.util.ArrayList<>(List.of(PLAIN));
    all.addAll(BEAM);
    return all;
  }

  /** Pipeline options that select {@code runner}, or a clear error for an unknown name. */
  public static PipelineOptions options(String runner) {
    switch (runner) {
      case "millrace":
        return PipelineOptionsFactory.fromArgs("--runner=MillraceRunner").create();
      case "millrace-rocksdb":
        return PipelineOptionsFactory.fromArgs("--runner=MillraceRunner", "--stateBackend=ROCKSDB").create();
      case "direct":
        // As users get it: DirectRunner's immutability and encodability checks stay on.
        return PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create();
      default:
        throw new IllegalArgumentException("Unknown runner " + runner + "; known: " + all());
    }
  }
}
