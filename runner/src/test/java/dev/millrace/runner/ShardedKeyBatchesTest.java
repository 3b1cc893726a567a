package dev.millrace.runner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.util.ShardedKey;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GroupIntoBatches.withShardedKey()} shards a key the way Millrace chooses: one shard per
 * key run the batch way (every batch full but a key's last), at most one per subtask run the
 * streaming way; whichever worker threads ran the subtasks.
 */
@Timeout(120)
class ShardedKeyBatchesTest {
  private static final int KEYS = 10;
  private static final int PER_KEY = 1000;
  private static final int BATCH = 7;
  private static final int PARALLELISM = 2;

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void keysAreShardedByTheRunner(boolean streaming) {
    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(PARALLELISM);
    options.setStreaming(streaming);
    Pipeline p = Pipeline.create(options);
    List<KV<String, Integer>> input = new ArrayList<>();
    for (int i = 0; i < KEYS * PER_KEY; i++) {
      input.add(KV.of("key" + (i % KEYS), i));
    }
    PCollection<KV<ShardedKey<String>, Iterable<Integer>>> batches =
        p.apply(Create.of(input))
            .apply(GroupIntoBatches.<String, Integer>ofSize(BATCH).withShardedKey());
    PAssert.that(batches)
        .satisfies(
            all -> {
              Map<String, Set<ShardedKey<String>>> shards = new HashMap<>();
              Map<String, Integer> partial = new HashMap<>();
              Set<Integer> seen = new HashSet<>();
              for (KV<ShardedKey<String>, Iterable<Integer>> batch : all) {
                String key = batch.getKey().getKey();
                shards.computeIfAbsent(key, k -> new HashSet<>()).add(batch.getKey());
                int size = 0;
                for (int value : batch.getValue()) {
                  assertEquals("key" + (value % KEYS), key);
                  assertThat("delivered once: " + value, seen.add(value), is(true));
                  size++;
                }
                assertThat(size, lessThanOrEqualTo(BATCH));
                if (size < BATCH) {
                  partial.merge(key, 1, Integer::sum);
                }
              }
              assertEquals(KEYS * PER_KEY, seen.size());
              for (Map.Entry<String, Set<ShardedKey<String>>> key : shards.entrySet()) {
                int shardCount = key.getValue().size();
                if (streaming) {
                  assertThat(key.getKey(), shardCount, lessThanOrEqualTo(PARALLELISM));
                } else {
                  assertEquals(1, shardCount, key.getKey());
                }
                // Only the last batch of each shard may be short.
                assertThat(
                    key.getKey(),
                    partial.getOrDefault(key.getKey(), 0),
                    lessThanOrEqualTo(shardCount));
              }
              if (!streaming) {
                assertThat(partial.values(), everyItem(is(1)));
              }
              return null;
            });
    p.run().waitUntilFinish();
  }
}
