package dev.millrace.translation;

import dev.millrace.plan.ElementCodec;
import dev.millrace.translation.java.Translations;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollection;

/**
 * Elements of an exchange coded by their collection's coder, with timestamp, windows and pane: a
 * consumer gets what Beam's coder makes of each element, as a runner that shuffles between machines
 * gives it (DirectRunner checks the same by cloning every element through its coder).
 */
public final class CoderElementCodec<T> implements ElementCodec {
  private final Coder<T> coder;

  private CoderElementCodec(Coder<T> coder) {
    this.coder = coder;
  }

  /** Codes the windowed elements of {@code pc}. */
  public static <T> CoderElementCodec<WindowedValue<T>> of(PCollection<T> pc) {
    return new CoderElementCodec<>(Translations.windowedValueCoder(pc));
  }

  /** Codes elements with {@code coder}. */
  public static <T> CoderElementCodec<T> of(Coder<T> coder) {
    return new CoderElementCodec<>(coder);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void encode(Object element, OutputStream out) throws Exception {
    coder.encode((T) element, out);
  }

  @Override
  public Object decode(byte[] bytes, int offset, int length) throws Exception {
    return coder.decode(new ByteArrayInput(bytes, offset, length));
  }

  @Override
  public String toString() {
    return coder.toString();
  }
}
