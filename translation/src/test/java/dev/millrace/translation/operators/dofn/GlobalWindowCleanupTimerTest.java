package dev.millrace.translation.operators.dofn;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class GlobalWindowCleanupTimerTest {
  private static final IntervalWindow WINDOW = new IntervalWindow(new Instant(0), new Instant(10));

  /** Records the windows it is asked to set a timer for. */
  static final class Recording implements StatefulDoFnRunner.CleanupTimer<String> {
    final List<BoundedWindow> set = new ArrayList<>();

    @Override
    public void setForWindow(String input, BoundedWindow window) {
      set.add(window);
    }

    @Override
    public boolean isForWindow(
        String timerId, BoundedWindow window, Instant timestamp, TimeDomain timeDomain) {
      return timerId.equals("gc");
    }
  }

  @Test
  void theGlobalWindowGetsNoTimerUnlessItsEndIsSeen() {
    Recording unseen = new Recording();
    GlobalWindowCleanupTimer<String> quiet = new GlobalWindowCleanupTimer<>(unseen, false);
    quiet.setForWindow("a", GlobalWindow.INSTANCE);
    quiet.setForWindow("a", WINDOW);
    assertThat(unseen.set, contains((BoundedWindow) WINDOW));
    assertThat(quiet.isForWindow("gc", GlobalWindow.INSTANCE, new Instant(0), null), is(true));

    Recording seen = new Recording();
    GlobalWindowCleanupTimer<String> expiring = new GlobalWindowCleanupTimer<>(seen, true);
    expiring.setForWindow("a", GlobalWindow.INSTANCE);
    assertThat(seen.set, contains((BoundedWindow) GlobalWindow.INSTANCE));
  }
}
