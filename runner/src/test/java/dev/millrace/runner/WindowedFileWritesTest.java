package dev.millrace.runner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.DefaultFilenamePolicy;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TextIO's windowed writes of unbounded input, with runner-determined sharding and custom batching
 * or with a fixed number of shards: every line lands in exactly one shard file, and the files of a
 * window are numbered 0..N-1 of N. (Beam's own TextIOWriteTest expects three files for
 * runner-determined sharding: the shards of GroupIntoBatches.withShardedKey are the threads that
 * ran it, three under DirectRunner on a machine of up to three cores.)
 */
@Timeout(120)
class WindowedFileWritesTest {
  private static final List<String> LINES =
      IntStream.range(0, 500).mapToObj(i -> "line " + i).toList();

  @ParameterizedTest
  @ValueSource(strings = {"runner-determined shards, custom batching", "three shards"})
  void everyLineLandsInOneShardFile(String sharding, @TempDir Path directory) throws IOException {
    MillracePipelineOptions options =
        PipelineOptionsFactory.create().as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(2);
    Pipeline p = Pipeline.create(options);
    PCollection<String> input =
        p.apply(Create.of(LINES))
            .setIsBoundedInternal(PCollection.IsBounded.UNBOUNDED)
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(10))));
    TextIO.Write write =
        TextIO.write()
            .to(directory.resolve("file.txt").toString())
            .withWindowedWrites()
            .withShardNameTemplate(DefaultFilenamePolicy.DEFAULT_UNWINDOWED_SHARD_TEMPLATE);
    write =
        sharding.equals("three shards")
            ? write.withNumShards(3)
            : write
                .withBatchSize(100)
                .withBatchSizeBytes(1 << 20)
                .withBatchMaxBufferingDuration(Duration.standardSeconds(4));
    input.apply(write);
    p.run().waitUntilFinish();

    List<String> names = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(file)) {
          names.add(file.getFileName().toString());
          lines.addAll(Files.readAllLines(file));
        }
      }
    }
    assertThat(names, not(empty()));
    assertThat(names, everyItem(matchesPattern("file\\.txt-\\d{5}-of-\\d{5}")));
    int of = Integer.parseInt(names.get(0).substring(names.get(0).length() - 5));
    for (String name : names) {
      int index = Integer.parseInt(name.substring("file.txt-".length(), "file.txt-".length() + 5));
      assertThat(name, Integer.parseInt(name.substring(name.length() - 5)), is(of));
      assertThat(name, index, lessThanOrEqualTo(of - 1));
    }
    if (sharding.equals("three shards")) {
      assertThat(of, is(3));
    } else {
      assertThat("every shard of the window has its file", names.size(), is(of));
    }
    assertThat(lines, containsInAnyOrder(LINES.toArray()));
  }
}
