package dev.millrace.cluster;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.cluster.worker.ClusterWorker;
import dev.millrace.engine.testing.PackageArrows;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrows between this module's packages that its README allows, on the compiled classes: {@code
 * worker} on top, {@code exchange} under it, {@code topics} and {@code state} under both; {@code
 * membership} apart; nothing imports {@code worker}.
 */
class PackageArrowsTest {
  private static PackageArrows arrows;

  @BeforeAll
  static void read() throws Exception {
    arrows = new PackageArrows(ClusterWorker.class, "dev/millrace/cluster/");
  }

  @Test
  void nothingImportsTheWorker() {
    assertThat(arrows.from("exchange/", List.of("worker/"), false), is(empty()));
    assertThat(arrows.from("topics/", List.of("worker/"), false), is(empty()));
    assertThat(arrows.from("membership/", List.of("worker/"), false), is(empty()));
    assertThat(arrows.from("state/", List.of("worker/"), false), is(empty()));
  }

  @Test
  void topicsKnowNeitherTheExchangeNorMembership() {
    assertThat(arrows.from("topics/", List.of("exchange/", "membership/"), false), is(empty()));
  }

  @Test
  void theExchangeKnowsNoMembership() {
    assertThat(arrows.from("exchange/", List.of("membership/"), false), is(empty()));
  }

  @Test
  void checkpointFilesKnowNothingElseOfTheCluster() {
    assertThat(
        arrows.from("state/", List.of("exchange/", "topics/", "membership/", "worker/"), false),
        is(empty()));
    assertThat(arrows.from("topics/", List.of("state/"), false), is(empty()));
    assertThat(arrows.from("exchange/", List.of("state/"), false), is(not(empty())));
  }

  @Test
  void theScanSeesReferences() {
    assertThat(arrows.from("worker/", List.of("exchange/", "topics/"), false), is(not(empty())));
  }
}
