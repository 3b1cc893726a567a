package dev.millrace.cluster.exchange;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.millrace.engine.RemoteInlet;
import dev.millrace.plan.Watermarks;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerChannelTest {
  /** Records what it is offered, as text; takes nothing while {@code room} is 0. */
  private static final class RecordingInlet implements RemoteInlet {
    final List<String> taken = new ArrayList<>();
    int room = Integer.MAX_VALUE;

    @Override
    public boolean offer(byte[] data, int[] ends, int count, long watermark) {
      if (room == 0) {
        return false;
      }
      room--;
      taken.add("elements " + count);
      return true;
    }

    @Override
    public boolean offerWatermark(long watermark) {
      if (room == 0) {
        return false;
      }
      room--;
      taken.add("watermark " + watermark);
      return true;
    }

    @Override
    public boolean offerBarrier(long checkpointId) {
      if (room == 0) {
        return false;
      }
      room--;
      taken.add("barrier " + checkpointId);
      return true;
    }
  }

  private static ExchangeFrame frame(int producer, int elements, long watermark) {
    return new ExchangeFrame(producer, new byte[elements], new int[elements], elements, watermark);
  }

  @Test
  void theChannelsWatermarkIsTheMinimumOverEveryProducerInEveryPartition() {
    RecordingInlet inlet = new RecordingInlet();
    // Partitions 4 and 5, two producers.
    ConsumerChannel channel = new ConsumerChannel(inlet, 4, 2, 2);
    channel.add(4, frame(0, 3, 100));
    channel.add(4, frame(1, 0, 200));
    channel.add(5, frame(0, 0, 150));
    channel.deliver();
    // Producer 1 has said nothing of partition 5 yet: nothing is known.
    assertThat(inlet.taken, contains("elements 3"));
    channel.add(5, frame(1, 2, 120));
    channel.deliver();
    assertThat(inlet.taken, contains("elements 3", "elements 2", "watermark 100"));
    channel.add(4, frame(0, 0, 300));
    channel.add(5, frame(0, 0, 300));
    channel.deliver();
    // Now the least is producer 1's 120 in partition 5.
    assertThat(inlet.taken.get(inlet.taken.size() - 1), is("watermark 120"));
    // A producer's watermark never goes back, even if a late frame says less.
    channel.add(5, frame(1, 0, 50));
    channel.add(5, frame(1, 0, 250));
    channel.deliver();
    assertThat(inlet.taken.get(inlet.taken.size() - 1), is("watermark 200"));
  }

  @Test
  void aFullInboxTakesAFrameLaterWithoutTakingItsElementsTwice() {
    RecordingInlet inlet = new RecordingInlet();
    ConsumerChannel channel = new ConsumerChannel(inlet, 0, 1, 1);
    channel.add(0, frame(0, 5, 10));
    channel.addBarrier(7);
    channel.add(0, frame(0, 1, ExchangeFrame.NO_WATERMARK));
    inlet.room = 1;
    channel.deliver();
    // The elements went in; the watermark waits for room.
    assertThat(inlet.taken, contains("elements 5"));
    assertThat(channel.hasWaiting(), is(true));
    inlet.room = 1;
    channel.deliver();
    assertThat(inlet.taken, contains("elements 5", "watermark 10"));
    inlet.room = Integer.MAX_VALUE;
    channel.deliver();
    // The barrier sits between the frames read before it and after it.
    assertThat(inlet.taken, contains("elements 5", "watermark 10", "barrier 7", "elements 1"));
    assertThat(channel.hasWaiting(), is(false));
  }

  @Test
  void watermarksCommittedWithThePositionCountBeforeAnyFrameIsRead() {
    RecordingInlet inlet = new RecordingInlet();
    // Partitions 0 and 1, two producers; producer 0 had ended before the position resumed from.
    ConsumerChannel channel = new ConsumerChannel(inlet, 0, 2, 2);
    channel.seed(0, new long[] {Watermarks.END, 40});
    channel.seed(1, new long[] {Watermarks.END, 30});
    channel.deliver();
    assertThat(inlet.taken, contains("watermark 30"));
    // Producer 0 says nothing more; producer 1's end is enough to end the channel.
    channel.add(0, frame(1, 0, Watermarks.END));
    channel.add(1, frame(1, 0, Watermarks.END));
    channel.deliver();
    assertThat(inlet.taken, contains("watermark 30", "watermark " + Watermarks.END));
  }

  @Test
  void aSeededWatermarkWaitsForRoomInTheInbox() {
    RecordingInlet inlet = new RecordingInlet();
    ConsumerChannel channel = new ConsumerChannel(inlet, 0, 1, 1);
    channel.seed(0, new long[] {70});
    inlet.room = 0;
    channel.deliver();
    assertThat(inlet.taken, is(empty()));
    inlet.room = 1;
    channel.deliver();
    assertThat(inlet.taken, contains("watermark 70"));
  }

  @Test
  void aFrameFromAProducerTheEdgeDoesNotHaveIsRefused() {
    ConsumerChannel channel = new ConsumerChannel(new RecordingInlet(), 0, 1, 2);
    channel.add(0, frame(2, 0, 10));
    assertThrows(IllegalArgumentException.class, channel::deliver);
  }

  @Test
  void nothingIsOfferedBeforeAnythingIsRead() {
    RecordingInlet inlet = new RecordingInlet();
    new ConsumerChannel(inlet, 0, 3, 3).deliver();
    assertThat(inlet.taken, is(empty()));
  }
}
