package dev.millrace.engine;

import static dev.millrace.engine.TestOperators.in;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.PlanBuilder;
import org.junit.jupiter.api.Test;

class PlanFingerprintTest {

  private static Plan plan(int parallelism) {
    PlanBuilder b = new PlanBuilder();
    int source = b.newVertex("read", parallelism);
    b.addOperator(
        source,
        new OperatorNode("count", () -> new TestOperators.CountingSource(10, x -> {}), 0, 1));
    b.addOperator(source, new OperatorNode("double", TestOperators::forward, 1, 1));
    b.link(in(source, 0, 0), in(source, 1, 0));
    int sink = b.newVertex("sum", parallelism);
    b.addOperator(sink, new OperatorNode("sum", TestOperators::forward, 1, 0));
    b.edge(in(source, 1, 0), in(sink, 0, 0), EdgeKind.HASH, element -> 0, 128);
    return b.build();
  }

  /**
   * Pinned: checkpoints on disk carry this fingerprint, so a change would make every one of them
   * unresumable. Change it only with a new checkpoint format version that still reads the old.
   */
  @Test
  void theFingerprintTextOfAKnownPlanNeverChanges() {
    assertThat(
        PlanFingerprint.text(plan(2)),
        is(
            "v0 read [parallelism 2]\n"
                + "  op0 count\n"
                + "  op1 double <- op0:0\n"
                + "v1 sum [parallelism 2]\n"
                + "  op0 sum\n"
                + "edge v0.op1:0 -> v1.op0:0 HASH\n"));
  }

  @Test
  void anotherParallelismIsAnotherPlan() {
    assertThat(PlanFingerprint.of(plan(2)), is(PlanFingerprint.of(plan(2))));
    assertThat(PlanFingerprint.of(plan(3)), is(not(PlanFingerprint.of(plan(2)))));
  }
}
