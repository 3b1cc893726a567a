package dev.millrace.cluster.exchange;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.plan.Watermarks;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadWatermarksTest {
  @Test
  void aRowComesBackAsItWentIn() {
    long[] row = {Long.MIN_VALUE, 5, 5, 5, -12, Watermarks.END, Watermarks.END, 1_733_000_000_000L};
    assertThat(ReadWatermarks.decode(ReadWatermarks.encode(row), row.length), equalTo(row));
  }

  @Test
  void producersAtOneWatermarkTakeOneRun() {
    long[] row = new long[128];
    Arrays.fill(row, 1_733_000_000_000L);
    String text = ReadWatermarks.encode(row);
    assertThat(text.length(), lessThanOrEqualTo(20));
    assertThat(ReadWatermarks.decode(text, 128), equalTo(row));
  }

  @Test
  void aRowTooLongForKafkasMetadataIsWrittenAsItsLeast() {
    Random random = new Random(7);
    long[] row = new long[1000];
    for (int i = 0; i < row.length; i++) {
      row[i] = 1_000_000 + random.nextInt(1_000_000);
    }
    String text = ReadWatermarks.encode(row);
    assertThat(text.length() <= ReadWatermarks.MAX_CHARS, is(true));
    long least = Arrays.stream(row).min().getAsLong();
    long[] back = ReadWatermarks.decode(text, row.length);
    assertThat(Arrays.stream(back).distinct().toArray(), equalTo(new long[] {least}));
  }

  @Test
  void noMetadataMeansNothingIsKnown() {
    assertThat(
        ReadWatermarks.decode("", 3),
        equalTo(new long[] {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE}));
    assertThat(ReadWatermarks.decode(null, 1), equalTo(new long[] {Long.MIN_VALUE}));
  }

  @Test
  void metadataThatDoesNotFitTheEdgeIsRefused() {
    String twoProducers = ReadWatermarks.encode(new long[] {1, 2});
    assertThrows(IllegalArgumentException.class, () -> ReadWatermarks.decode(twoProducers, 3));
    assertThrows(IllegalArgumentException.class, () -> ReadWatermarks.decode(twoProducers, 1));
    assertThrows(IllegalArgumentException.class, () -> ReadWatermarks.decode("checkpoint=3", 2));
    assertThrows(IllegalArgumentException.class, () -> ReadWatermarks.decode("wm1:2x5", 2));
  }
}
