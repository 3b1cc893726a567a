package dev.millrace.benchmarks.queries;

import dev.millrace.benchmarks.nexmark.Event;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/** Q11: bids per bidder session (sessions end after 50 ms without a bid). */
public final class Q11UserSessions implements Query {
  static final long GAP_MILLIS = 50;

  @Override
  public String name() {
    return "Q11";
  }

  static String line(long bidder, long start, long end, long count) {
    return bidder + "," + start + "," + end + "," + count;
  }

  @Override
  public PCollection<String> expand(PCollection<Event> events) {
    return Events.bids(events)
        .apply(
            "Bidder", MapElements.into(TypeDescriptors.longs()).via((Event e) -> e.bid().bidder()))
        .apply(Window.into(Sessions.withGapDuration(Duration.millis(GAP_MILLIS))))
        .apply(Count.perElement())
        .apply(
            "Format",
            ParDo.of(
                new DoFn<KV<Long, Long>, String>() {
                  @ProcessElement
                  public void process(
                      @Element KV<Long, Long> session,
                      IntervalWindow w,
                      OutputReceiver<String> out) {
                    out.output(
                        line(
                            session.getKey(),
                            w.start().getMillis(),
                            w.end().getMillis(),
                            session.getValue()));
                  }
                }));
  }

  @Override
  public PlainQuery plain() {
    return new PlainQuery() {
      // bidder -> {start, end, count} of its open session; events come in timestamp order
      private final Map<Long, long[]> open = new HashMap<>();

      @Override
      public void accept(Event e, Consumer<String> out) {
        if (e.bid() == null) {
          return;
        }
        long ts = e.bid().timestamp();
        long[] session = open.get(e.bid().bidder());
        if (session != null && ts < session[1]) {
          session[1] = Math.max(session[1], ts + GAP_MILLIS);
          session[2]++;
          return;
        }
        if (session != null) {
          out.accept(line(e.bid().bidder(), session[0], session[1], session[2]));
        }
        open.put(e.bid().bidder(), new long[] {ts, ts + GAP_MILLIS, 1});
      }

      @Override
      public void finish(Consumer<String> out) {
        open.forEach((bidder, s) -> out.accept(line(bidder, s[0], s[1], s[2])));
      }
    };
  }
}
