package dev.millrace.translation.operators.grouping;

import org.apache.beam.runners.core.GlobalCombineFnRunner;
import org.apache.beam.runners.core.GlobalCombineFnRunners;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.SerializableUtils;

/** What both halves of a lifted Combine.perKey need to know. */
public record CombineSpec<K, InputT, AccumT, OutputT>(
    GlobalCombineFn<InputT, AccumT, OutputT> fn,
    Coder<K> keyCoder,
    TimestampCombiner timestampCombiner,
    PipelineOptions options) {

  /** A runner over this subtask's own copy of the CombineFn: user code need not be thread-safe. */
  GlobalCombineFnRunner<InputT, AccumT, OutputT> runner() {
    return GlobalCombineFnRunners.create(SerializableUtils.clone(fn));
  }
}
