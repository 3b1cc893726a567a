package dev.millrace.translation;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reads, skips, marks and the end of a slice answer as the JDK's ByteArrayInputStream does. */
class ByteArrayInputTest {
  @Test
  void answersAsTheJdksStreamOverTheSameSlice() throws Exception {
    Random random = new Random(7);
    byte[] bytes = new byte[64];
    random.nextBytes(bytes);
    for (int trial = 0; trial < 200; trial++) {
      int offset = random.nextInt(20);
      int length = random.nextInt(40);
      InputStream expected = new ByteArrayInputStream(bytes, offset, length);
      InputStream actual = new ByteArrayInput(bytes, offset, length);
      for (int step = 0; step < 12; step++) {
        switch (random.nextInt(5)) {
          case 0:
            assertThat(actual.read(), is(expected.read()));
            break;
          case 1:
            {
              int n = random.nextInt(9);
              byte[] a = new byte[12];
              byte[] e = new byte[12];
              assertThat(actual.read(a, 2, n), is(expected.read(e, 2, n)));
              assertThat(a, is(e));
              break;
            }
          case 2:
            {
              long n = random.nextInt(7) - 1;
              assertThat(actual.skip(n), is(expected.skip(n)));
              break;
            }
          case 3:
            actual.mark(0);
            expected.mark(0);
            break;
          default:
            actual.reset();
            expected.reset();
        }
        assertThat(actual.available(), is(expected.available()));
      }
    }
  }
}
