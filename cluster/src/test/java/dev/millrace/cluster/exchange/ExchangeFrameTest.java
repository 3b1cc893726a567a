package dev.millrace.cluster.exchange;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.plan.ElementCodec;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExchangeFrameTest {
  /** Byte arrays as they are. */
  private static final ElementCodec BYTES =
      new ElementCodec() {
        @Override
        public void encode(Object element, OutputStream out) throws Exception {
          out.write((byte[]) element);
        }

        @Override
        public Object decode(byte[] bytes, int offset, int length) {
          return Arrays.copyOfRange(bytes, offset, offset + length);
        }
      };

  @Test
  void framesOfEverySizeComeBackWhole() throws Exception {
    Random random = new Random(7);
    FrameBuffer buffer = new FrameBuffer();
    for (int round = 0; round < 200; round++) {
      int count = round == 0 ? 0 : random.nextInt(round < 100 ? 10 : 2000);
      List<byte[]> elements = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        byte[] element = new byte[random.nextInt(i % 50 == 0 ? 100_000 : 40)];
        random.nextBytes(element);
        elements.add(element);
        buffer.add(BYTES, element);
      }
      int producer = random.nextInt(1 << 20);
      long watermark = round % 3 == 0 ? ExchangeFrame.NO_WATERMARK : random.nextLong();
      ExchangeFrame frame = ExchangeFrame.decode(buffer.take(producer, watermark));
      assertThat(frame.producer(), is(producer));
      assertThat(frame.watermark(), is(watermark));
      assertThat(frame.count(), is(count));
      int start = 0;
      for (int i = 0; i < count; i++) {
        assertThat(
            Arrays.equals(
                Arrays.copyOfRange(frame.data(), start, frame.ends()[i]), elements.get(i)),
            is(true));
        start = frame.ends()[i];
      }
      assertThat(buffer.count(), is(0));
    }
  }

  @Test
  void aFrameOfAnotherFormatOrWithTrailingBytesIsRefused() throws Exception {
    FrameBuffer buffer = new FrameBuffer();
    buffer.add(BYTES, new byte[] {1, 2});
    byte[] record = buffer.take(3, 42);
    byte[] otherFormat = record.clone();
    otherFormat[0] = 9;
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> ExchangeFrame.decode(otherFormat))
            .getMessage(),
        containsString("format 9"));
    byte[] longer = Arrays.copyOf(record, record.length + 1);
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> ExchangeFrame.decode(longer))
            .getMessage(),
        containsString("after its last element"));
    byte[] shorter = Arrays.copyOf(record, record.length - 1);
    assertThrows(RuntimeException.class, () -> ExchangeFrame.decode(shorter));
  }

  @Test
  void anElementThatFailsToEncodeLeavesTheFrameAsItWas() throws Exception {
    FrameBuffer buffer = new FrameBuffer();
    buffer.add(BYTES, new byte[] {5});
    ElementCodec failing =
        new ElementCodec() {
          @Override
          public void encode(Object element, OutputStream out) throws Exception {
            out.write(new byte[] {9, 9, 9});
            throw new IllegalStateException("cannot encode");
          }

          @Override
          public Object decode(byte[] bytes, int offset, int length) {
            throw new UnsupportedOperationException();
          }
        };
    assertThrows(IllegalStateException.class, () -> buffer.add(failing, "x"));
    ExchangeFrame frame = ExchangeFrame.decode(buffer.take(0, ExchangeFrame.NO_WATERMARK));
    assertThat(frame.count(), is(1));
    assertThat(frame.data()[0], is((byte) 5));
  }
}
