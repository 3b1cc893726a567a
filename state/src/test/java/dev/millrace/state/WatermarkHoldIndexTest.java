package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class WatermarkHoldIndexTest {
  private static final StateTag<WatermarkHoldState> HOLD =
      StateTags.watermarkStateInternal("hold", TimestampCombiner.EARLIEST);

  private static WatermarkHoldState hold(RocksDbStateBackend backend, String key, int keyGroup) {
    return RocksDbStateInternals.forKey(backend, key, StringUtf8Coder.of(), keyGroup)
        .state(StateNamespaces.global(), HOLD);
  }

  @Test
  void minimumHoldAcrossKeysFollowsAddsAndClears() {
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      assertThat(backend.minimumWatermarkHold(), is(nullValue()));
      hold(backend, "a", 1).add(new Instant(500));
      hold(backend, "b", 9).add(new Instant(300));
      assertThat(backend.minimumWatermarkHold(), is(new Instant(300)));
      hold(backend, "a", 1).add(new Instant(100)); // EARLIEST: a's hold moves down
      assertThat(backend.minimumWatermarkHold(), is(new Instant(100)));
      hold(backend, "a", 1).clear();
      assertThat(backend.minimumWatermarkHold(), is(new Instant(300)));
      backend.commit();
      hold(backend, "b", 9).clear();
      assertThat(backend.minimumWatermarkHold(), is(nullValue()));
    }
  }
}
