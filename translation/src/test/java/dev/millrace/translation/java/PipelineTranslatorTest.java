package dev.millrace.translation.java;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.translation.TranslatedJob;
import dev.millrace.translation.TranslationOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

class PipelineTranslatorTest {
  /** A coder that works in this JVM but could never reach another process. */
  static final class UnserializableCoder extends CustomCoder<String> {
    @Override
    public void encode(String value, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(value, out);
    }

    @Override
    public String decode(InputStream in) throws IOException {
      return StringUtf8Coder.of().decode(in);
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
      throw new IOException("this coder stays home");
    }
  }

  private static Pipeline pipeline(boolean serializableCoder) {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(CrashingRunner.class); // only translated, never run
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of("a", "b"))
        .apply("Upper", MapElements.into(TypeDescriptors.strings()).via(String::toUpperCase))
        .setCoder(serializableCoder ? StringUtf8Coder.of() : new UnserializableCoder());
    return p;
  }

  private static TranslatedJob translate(Pipeline p) {
    return new PipelineTranslator(new TranslationOptions(p.getOptions(), 1, false, "memory"))
        .translate(p);
  }

  @Test
  void aCoderThatCannotBeSerializedFailsTheJobBeforeItStartsNamingItsCollection() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> translate(pipeline(false)));
    assertThat(e.getMessage(), containsString("Upper"));
    assertThat(e.getMessage(), containsString("cannot be serialized"));
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    assertThat(cause.getMessage(), is("this coder stays home"));
  }

  @Test
  void serializableCodersPass() {
    assertThat(translate(pipeline(true)).plan().vertices().isEmpty(), is(false));
  }
}
