package dev.millrace.cluster.exchange;

import java.util.Arrays;

/**
 * The latest watermark of each producer subtask read in one exchange partition, written as the
 * offset metadata of the partition's committed position. A worker resuming from that position reads
 * only what producers sent after it, and a producer that had sent its last watermark before (it
 * finished, or it has nothing new) would otherwise hold the consumer's watermark back for good.
 *
 * <p>The text is runs of equal watermarks, {@code count*value} joined by commas, values in base 36,
 * since most producers of a partition stand at the same watermark. Kafka bounds offset metadata (4
 * KB by default): a row too long to fit is written as its least watermark for every producer, which
 * is behind or at what each producer said, so never wrong, only later to move.
 */
final class ReadWatermarks {
  /** Under Kafka's default {@code offset.metadata.max.bytes}, with room for the prefix. */
  static final int MAX_CHARS = 3_000;

  private static final String PREFIX = "wm1:";

  private ReadWatermarks() {}

  static String encode(long[] row) {
    String text = runs(row);
    if (text.length() <= MAX_CHARS) {
      return text;
    }
    long least = Arrays.stream(row).min().orElse(Long.MIN_VALUE);
    long[] flat = new long[row.length];
    Arrays.fill(flat, least);
    return runs(flat);
  }

  private static String runs(long[] row) {
    StringBuilder text = new StringBuilder(PREFIX);
    int i = 0;
    while (i < row.length) {
      int j = i;
      while (j < row.length && row[j] == row[i]) {
        j++;
      }
      if (i > 0) {
        text.append(',');
      }
      text.append(j - i).append('*').append(Long.toString(row[i], 36));
      i = j;
    }
    return text.toString();
  }

  /**
   * The row {@code text} says for {@code producers} producers; empty metadata (a position committed
   * before watermarks were) says nothing is known: every producer at the least value.
   */
  static long[] decode(String text, int producers) {
    long[] row = new long[producers];
    if (text == null || text.isEmpty()) {
      Arrays.fill(row, Long.MIN_VALUE);
      return row;
    }
    if (!text.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          "exchange position metadata that is not watermarks: " + text);
    }
    int at = 0;
    String body = text.substring(PREFIX.length());
    for (String run : body.isEmpty() ? new String[0] : body.split(",")) {
      int star = run.indexOf('*');
      if (star <= 0) {
        throw new IllegalArgumentException("a watermark run without its count: " + run);
      }
      int count = Integer.parseInt(run.substring(0, star));
      long value = Long.parseLong(run.substring(star + 1), 36);
      if (count <= 0 || at + count > producers) {
        throw new IllegalArgumentException(
            "watermarks for more than the edge's " + producers + " producers: " + text);
      }
      Arrays.fill(row, at, at + count, value);
      at += count;
    }
    if (at != producers) {
      throw new IllegalArgumentException(
          "watermarks for " + at + " producers, the edge has " + producers + ": " + text);
    }
    return row;
  }
}
