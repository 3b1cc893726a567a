package dev.millrace.runner.examples;

import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Counts the words of a text file and prints the most frequent ones: {@code --inputFile=...
 * --top=10 --runner=MillraceRunner}.
 */
public final class WordCount {

  public interface Options extends PipelineOptions {
    @Description("Text file (or glob) to count the words of")
    @Default.String("examples/shakespeare-sonnets.txt")
    String getInputFile();

    void setInputFile(String file);

    @Description("How many of the most frequent words to print")
    @Default.Integer(10)
    int getTop();

    void setTop(int top);
  }

  private WordCount() {}

  /** Prints the list it gets: the pipeline's one result. */
  static final class PrintTop extends DoFn<List<KV<String, Long>>, Void> {
    @ProcessElement
    public void process(@Element List<KV<String, Long>> top) {
      StringBuilder out = new StringBuilder("Top words:\n");
      for (KV<String, Long> kv : top) {
        out.append(String.format("%8d  %s%n", kv.getValue(), kv.getKey()));
      }
      System.out.print(out);
    }
  }

  /** Lines in, (lower-case word, count) out. */
  public static PTransform<PCollection<String>, PCollection<KV<String, Long>>> countWords() {
    return new PTransform<>() {
      @Override
      public PCollection<KV<String, Long>> expand(PCollection<String> lines) {
        return lines
            .apply(
                "Split",
                FlatMapElements.into(TypeDescriptors.strings())
                    .via((String line) -> Arrays.asList(line.toLowerCase().split("[^\\p{L}']+"))))
            .apply("NonEmpty", Filter.by((String word) -> !word.isEmpty()))
            .apply("Count", Count.perElement());
      }
    };
  }

  public static Pipeline build(Options options) {
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("Read", TextIO.read().from(options.getInputFile()))
        .apply("CountWords", countWords())
        .apply("Top", Top.of(options.getTop(), new KV.OrderByValue<>()))
        .apply("Print", ParDo.of(new PrintTop()));
    return pipeline;
  }

  public static void main(String[] args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    if (Arrays.stream(args).noneMatch(a -> a.startsWith("--runner"))) {
      options.setRunner(dev.millrace.runner.MillraceRunner.class);
    }
    long start = System.nanoTime();
    build(options).run().waitUntilFinish();
    System.out.printf("Done in %d ms%n", (System.nanoTime() - start) / 1_000_000);
  }
}
