package dev.millrace.translation.java.overrides;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.ShardedKey;
import org.apache.beam.sdk.util.construction.PTransformReplacements;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Millrace's own sharding for {@link GroupIntoBatches.WithShardedKey}, which Beam leaves to the
 * runner. Beam's default names a shard after the thread that assigned it, and Millrace's workers
 * take turns running subtasks, so one subtask would spread a key over as many shards as threads
 * happened to run it: more partial batches and more buffered state, and new shards after every
 * restart. Instead:
 *
 * <ul>
 *   <li>run the batch way, a key has one shard: its whole input is there, parallelism comes from
 *       the keys, and every batch but the key's last is full;
 *   <li>run the streaming way, a key has one shard per subtask that assigns it (a DoFn instance),
 *       so a hot key is still batched on up to {@code parallelism} subtasks at once.
 * </ul>
 */
final class ShardedKeyBatches {
  private ShardedKeyBatches() {}

  static PTransformOverride override(boolean streamingRequested) {
    return PTransformOverride.of(
        application -> application.getTransform() instanceof GroupIntoBatches<?, ?>.WithShardedKey,
        new Factory<>(streamingRequested));
  }

  private static final class Factory<K, V>
      implements PTransformOverrideFactory<
          PCollection<KV<K, V>>,
          PCollection<KV<ShardedKey<K>, Iterable<V>>>,
          PTransform<PCollection<KV<K, V>>, PCollection<KV<ShardedKey<K>, Iterable<V>>>>> {
    private final boolean streamingRequested;

    Factory(boolean streamingRequested) {
      this.streamingRequested = streamingRequested;
    }

    @Override
    @SuppressWarnings("unchecked")
    public PTransformReplacement<PCollection<KV<K, V>>, PCollection<KV<ShardedKey<K>, Iterable<V>>>>
        getReplacementTransform(
            AppliedPTransform<
                    PCollection<KV<K, V>>,
                    PCollection<KV<ShardedKey<K>, Iterable<V>>>,
                    PTransform<PCollection<KV<K, V>>, PCollection<KV<ShardedKey<K>, Iterable<V>>>>>
                application) {
      PCollection<KV<K, V>> input = PTransformReplacements.getSingletonMainInput(application);
      GroupIntoBatches<K, V>.WithShardedKey original =
          (GroupIntoBatches<K, V>.WithShardedKey) application.getTransform();
      boolean oneShardPerKey =
          !streamingRequested && input.isBounded() == PCollection.IsBounded.BOUNDED;
      return PTransformReplacement.of(
          input, new Batches<>(original.getBatchingParams(), oneShardPerKey));
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs,
        PCollection<KV<ShardedKey<K>, Iterable<V>>> newOutput) {
      return ReplacementOutputs.singleton(outputs, newOutput);
    }
  }

  /** Assigns shards, then batches per sharded key with the user's parameters. */
  private static final class Batches<K, V>
      extends PTransform<PCollection<KV<K, V>>, PCollection<KV<ShardedKey<K>, Iterable<V>>>> {
    private final GroupIntoBatches.BatchingParams<V> params;
    private final boolean oneShardPerKey;

    Batches(GroupIntoBatches.BatchingParams<V> params, boolean oneShardPerKey) {
      this.params = params;
      this.oneShardPerKey = oneShardPerKey;
    }

    @Override
    public PCollection<KV<ShardedKey<K>, Iterable<V>>> expand(PCollection<KV<K, V>> input) {
      KvCoder<K, V> coder = (KvCoder<K, V>) input.getCoder();
      return input
          .apply(
              oneShardPerKey ? "OneShardPerKey" : "ShardPerSubtask",
              ParDo.of(new AssignShard<K, V>(oneShardPerKey)))
          .setCoder(KvCoder.of(ShardedKey.Coder.of(coder.getKeyCoder()), coder.getValueCoder()))
          .apply(batching(params));
    }
  }

  /** The same {@link GroupIntoBatches} the user configured, rebuilt from its parameters. */
  private static <K, V> GroupIntoBatches<K, V> batching(GroupIntoBatches.BatchingParams<V> params) {
    GroupIntoBatches<K, V> batching = null;
    if (params.getBatchSize() < Long.MAX_VALUE) {
      batching = GroupIntoBatches.ofSize(params.getBatchSize());
    }
    if (params.getBatchSizeBytes() < Long.MAX_VALUE) {
      batching =
          batching == null
              ? GroupIntoBatches.ofByteSize(params.getBatchSizeBytes(), params.getElementByteSize())
              : batching.withByteSize(params.getBatchSizeBytes(), params.getElementByteSize());
    }
    if (batching == null) {
      throw new IllegalArgumentException(
          "GroupIntoBatches.withShardedKey() without a batch size or byte size");
    }
    return batching.withMaxBufferingDuration(params.getMaxBufferingDuration());
  }

  private static final class AssignShard<K, V> extends DoFn<KV<K, V>, KV<ShardedKey<K>, V>> {
    private static final byte[] ONLY_SHARD = new byte[0];
    private final boolean oneShardPerKey;
    private transient byte[] shard;

    AssignShard(boolean oneShardPerKey) {
      this.oneShardPerKey = oneShardPerKey;
    }

    @Setup
    public void setup() {
      if (oneShardPerKey) {
        shard = ONLY_SHARD;
      } else {
        UUID instance = UUID.randomUUID();
        shard =
            ByteBuffer.allocate(2 * Long.BYTES)
                .putLong(instance.getMostSignificantBits())
                .putLong(instance.getLeastSignificantBits())
                .array();
      }
    }

    @ProcessElement
    public void process(@Element KV<K, V> element, OutputReceiver<KV<ShardedKey<K>, V>> out) {
      out.output(KV.of(ShardedKey.of(element.getKey(), shard), element.getValue()));
    }
  }
}
