package dev.millrace.cluster;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

class KeyGroupFrameTest {

  @Test
  void framesOfEverySizeRoundTrip() {
    Random random = new Random(7);
    for (int round = 0; round < 200; round++) {
      List<byte[]> elements = new ArrayList<>();
      int count = random.nextInt(50);
      for (int i = 0; i < count; i++) {
        byte[] element = new byte[random.nextInt(random.nextBoolean() ? 10 : 70_000)];
        random.nextBytes(element);
        elements.add(element);
      }
      KeyGroupFrame frame = new KeyGroupFrame(random.nextInt(32768), elements);
      KeyGroupFrame back = KeyGroupFrame.decode(frame.encode());
      assertThat(back.keyGroup(), is(frame.keyGroup()));
      assertThat(back.elements().size(), is(count));
      for (int i = 0; i < count; i++) {
        assertThat(java.util.Arrays.equals(back.elements().get(i), elements.get(i)), is(true));
      }
    }
  }

  @Test
  void anotherFormatOrTrailingBytesAreRefused() {
    byte[] record = new KeyGroupFrame(3, List.of(new byte[] {1, 2})).encode();
    byte[] otherFormat = record.clone();
    otherFormat[0] = 9;
    assertThat(
        Assertions.assertThrows(
                IllegalArgumentException.class, () -> KeyGroupFrame.decode(otherFormat))
            .getMessage(),
        containsString("format 9"));
    byte[] longer = java.util.Arrays.copyOf(record, record.length + 2);
    assertThat(
        Assertions.assertThrows(IllegalArgumentException.class, () -> KeyGroupFrame.decode(longer))
            .getMessage(),
        containsString("2 bytes after its last element"));
  }
}
