package dev.millrace.runner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.transforms.CoGroup;
import org.apache.beam.sdk.schemas.transforms.Join;
import org.apache.beam.sdk.schemas.transforms.Select;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What comes out of an exchange (GroupByKey, Reshuffle, a keyed ParDo's input, a side input) is
 * what the collection's coder makes of what went in, as between machines: never the producer's own
 * object, with whatever its coder does not carry. Schema transforms depend on it (a Row takes its
 * field names from the coder's schema), and so does a coder's own error reaching the user.
 */
@Timeout(120)
class ExchangeCodingTest {

  private static Pipeline pipeline(String... args) {
    MillracePipelineOptions options =
        PipelineOptionsFactory.fromArgs(args).as(MillracePipelineOptions.class);
    options.setRunner(MillraceRunner.class);
    options.setParallelism(2);
    return Pipeline.create(options);
  }

  @AfterEach
  void noEngineThreadOutlivesItsJob() throws InterruptedException {
    assertThat(EngineThreads.live(), is(empty()));
  }

  /**
   * A value with a field its coder leaves out, as Beam's MatchResult.Metadata has
   * lastModifiedMillis.
   */
  static final class Note {
    final String text;
    final long notCoded;

    Note(String text, long notCoded) {
      this.text = text;
      this.notCoded = notCoded;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Note n && n.text.equals(text) && n.notCoded == notCoded;
    }

    @Override
    public int hashCode() {
      return Objects.hash(text, notCoded);
    }

    @Override
    public String toString() {
      return text + "/" + notCoded;
    }
  }

  static final class NoteCoder extends CustomCoder<Note> {
    @Override
    public void encode(Note value, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(value.text, out);
    }

    @Override
    public Note decode(InputStream in) throws IOException {
      return new Note(StringUtf8Coder.of().decode(in), 0);
    }
  }

  private static PCollection<Note> notes(Pipeline p) {
    return p.apply(Create.of("a", "b", "c"))
        .apply(MapElements.via(new ToNote()))
        .setCoder(new NoteCoder());
  }

  static final class ToNote extends SimpleFunction<String, Note> {
    @Override
    public Note apply(String s) {
      return new Note(s, 42);
    }
  }

  static final class FirstNote extends SimpleFunction<Iterable<Note>, Note> {
    @Override
    public Note apply(Iterable<Note> notes) {
      return notes.iterator().next();
    }
  }

  static final class ReadNotes extends DoFn<Integer, String> {
    private final PCollectionView<List<Note>> view;

    ReadNotes(PCollectionView<List<Note>> view) {
      this.view = view;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      for (Note n : c.sideInput(view)) {
        c.output(n.toString());
      }
    }
  }

  @Test
  void aReshuffleGivesWhatTheCoderDecodes() {
    Pipeline p = pipeline();
    PAssert.that(notes(p).apply(Reshuffle.viaRandomKey()))
        .containsInAnyOrder(new Note("a", 0), new Note("b", 0), new Note("c", 0));
    p.run().waitUntilFinish();
  }

  @ParameterizedTest
  @ValueSource(strings = {"--streaming=false", "--streaming=true"})
  void aGroupByKeyGivesWhatTheCoderDecodes(String mode) {
    // Streaming with heap state: what the grouping keeps is the objects that arrived.
    Pipeline p = pipeline(mode, "--stateBackend=memory");
    PCollection<Note> grouped =
        notes(p)
            .apply(WithKeys.of(n -> n.text))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), new NoteCoder()))
            .apply(GroupByKey.create())
            .apply(Values.create())
            .apply(MapElements.via(new FirstNote()))
            .setCoder(new NoteCoder());
    PAssert.that(grouped).containsInAnyOrder(new Note("a", 0), new Note("b", 0), new Note("c", 0));
    p.run().waitUntilFinish();
  }

  @Test
  void aSideInputGivesWhatTheCoderDecodes() {
    Pipeline p = pipeline();
    PCollectionView<List<Note>> view = notes(p).apply(View.asList());
    PCollection<String> seen =
        p.apply("One", Create.of(1)).apply(ParDo.of(new ReadNotes(view)).withSideInputs(view));
    PAssert.that(seen).containsInAnyOrder("a/0", "b/0", "c/0");
    p.run().waitUntilFinish();
  }

  private static final Schema PERSON =
      Schema.builder().addStringField("name").addInt32Field("age").build();
  private static final Schema RENAMED =
      Schema.builder().addStringField("who").addInt32Field("years").build();

  private static PCollection<Row> people(Pipeline p, String name, Schema schema) {
    return p.apply(
        name,
        Create.of(
                Row.withSchema(schema).addValues("ann", 31).build(),
                Row.withSchema(schema).addValues("bob", 42).build())
            .withRowSchema(schema));
  }

  @Test
  void selectWithAnOutputSchemaGivesRowsOfThatSchema() {
    Pipeline p = pipeline();
    PCollection<Row> selected =
        people(p, "People", PERSON)
            .apply(Select.<Row>fieldNames("name", "age").withOutputSchema(RENAMED));
    PAssert.that(selected)
        .containsInAnyOrder(
            Row.withSchema(RENAMED).addValues("ann", 31).build(),
            Row.withSchema(RENAMED).addValues("bob", 42).build());
    p.run().waitUntilFinish();
  }

  /**
   * Checks that every row has the declared schema down to its nested rows (field names included),
   * and that the rows say what {@code expected} says, as {@code describe} puts them.
   */
  static final class RowsAsDeclared implements SerializableFunction<Iterable<Row>, Void> {
    private final Schema declared;
    private final SerializableFunction<Row, String> describe;
    private final List<String> expected;

    RowsAsDeclared(
        Schema declared, SerializableFunction<Row, String> describe, List<String> expected) {
      this.declared = declared;
      this.describe = describe;
      this.expected = expected;
    }

    @Override
    public Void apply(Iterable<Row> rows) {
      List<String> seen = new ArrayList<>();
      for (Row row : rows) {
        assertSchema(declared, row);
        seen.add(describe.apply(row));
      }
      assertThat(seen, containsInAnyOrder(expected.toArray()));
      return null;
    }

    private static void assertSchema(Schema schema, Row row) {
      assertThat(row.getSchema().getFieldNames(), is(schema.getFieldNames()));
      for (Schema.Field field : schema.getFields()) {
        Schema.FieldType type = field.getType();
        if (type.getTypeName() == Schema.TypeName.ROW) {
          assertSchema(type.getRowSchema(), row.getRow(field.getName()));
        } else if (type.getTypeName().isCollectionType()
            && type.getCollectionElementType().getTypeName() == Schema.TypeName.ROW) {
          for (Object nested : row.getIterable(field.getName())) {
            assertSchema(type.getCollectionElementType().getRowSchema(), (Row) nested);
          }
        }
      }
    }
  }

  @Test
  void joinsOnKeysOfDifferentNamesGiveRowsOfTheirDeclaredSchema() {
    Pipeline p = pipeline();
    Schema ages =
        Schema.builder()
            .addStringField("person")
            .addStringField("place")
            .addInt32Field("age")
            .build();
    Schema towns =
        Schema.builder()
            .addStringField("resident")
            .addStringField("country")
            .addStringField("town")
            .build();
    PCollection<Row> left =
        p.apply(
            "Ages",
            Create.of(
                    Row.withSchema(ages).addValues("ann", "no", 31).build(),
                    Row.withSchema(ages).addValues("bob", "pe", 42).build())
                .withRowSchema(ages));
    PCollection<Row> right =
        p.apply(
            "Towns",
            Create.of(
                    Row.withSchema(towns).addValues("ann", "no", "Oslo").build(),
                    Row.withSchema(towns).addValues("bob", "pe", "Lima").build(),
                    Row.withSchema(towns).addValues("cy", "it", "Rome").build())
                .withRowSchema(towns));
    Join.FieldsEqual.Impl keys =
        Join.FieldsEqual.left("person", "place").right("resident", "country");
    SerializableFunction<Row, String> pair =
        row ->
            row.getRow("lhs").getString("person")
                + " "
                + row.getRow("lhs").getInt32("age")
                + " "
                + row.getRow("rhs").getString("town");
    for (boolean broadcast : new boolean[] {false, true}) {
      String name = broadcast ? "Broadcast join" : "Join";
      PCollection<Row> joined =
          left.apply(
              name,
              broadcast
                  ? Join.<Row, Row>innerBroadcastJoin(right).on(keys)
                  : Join.<Row, Row>innerJoin(right).on(keys));
      PAssert.that(joined)
          .satisfies(
              new RowsAsDeclared(joined.getSchema(), pair, List.of("ann 31 Oslo", "bob 42 Lima")));
    }
    PCollection<Row> coGrouped =
        org.apache.beam.sdk.values.PCollectionTuple.of("ages", left)
            .and("towns", right)
            .apply(
                CoGroup.join("ages", CoGroup.By.fieldNames("person", "place"))
                    .join("towns", CoGroup.By.fieldNames("resident", "country")));
    SerializableFunction<Row, String> group =
        row -> {
          List<String> parts = new ArrayList<>();
          row.<Row>getIterable("ages").forEach(r -> parts.add(String.valueOf(r.getInt32("age"))));
          row.<Row>getIterable("towns").forEach(r -> parts.add(r.getString("town")));
          return row.getRow("key").getString(0) + " " + String.join(",", parts);
        };
    PAssert.that(coGrouped)
        .satisfies(
            new RowsAsDeclared(
                coGrouped.getSchema(), group, List.of("ann 31,Oslo", "bob 42,Lima", "cy Rome")));
    p.run().waitUntilFinish();
  }

  /** Throws with a message of its own when it encodes or decodes, as a user's coder may. */
  static final class FailingCoder extends CustomCoder<Long> {
    private final boolean onEncode;

    FailingCoder(boolean onEncode) {
      this.onEncode = onEncode;
    }

    @Override
    public void encode(Long value, OutputStream out) throws IOException {
      if (onEncode) {
        throw new IOException("the user's coder says no");
      }
      VarLongCoder.of().encode(value, out);
    }

    @Override
    public Long decode(InputStream in) throws IOException {
      if (!onEncode) {
        throw new IOException("the user's coder says no");
      }
      return VarLongCoder.of().decode(in);
    }
  }

  @Test
  void aCodersErrorFailsTheJobWithItsMessage() {
    for (boolean onEncode : new boolean[] {true, false}) {
      Pipeline p = pipeline();
      p.apply(Create.of(1L, 2L, 3L))
          .setCoder(new FailingCoder(onEncode))
          .apply(Reshuffle.viaRandomKey());
      Pipeline.PipelineExecutionException e =
          assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
      assertThat(e.getMessage(), containsString("java.io.IOException: the user's coder says no"));
      assertThat(
          e.getMessage(), containsString(onEncode ? "could not encode" : "could not decode"));
    }
  }
}
