package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.fnexecution.v1.BeamFnExternalWorkerPoolGrpc;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.fn.server.FnService;
import org.apache.beam.sdk.fn.server.GrpcFnServer;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.util.construction.BeamUrns;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every server the job server starts listens on {@code --job-host} alone, loopback by default: the
 * job service, artifact staging and expansion service, and the control, data, state, logging,
 * artifact and provisioning services its SDK harnesses connect to. Read from the kernel's table of
 * this process's listening sockets, so a server that binds every interface cannot hide.
 */
@Timeout(120)
class ServerBindingTest {

  @Test
  void byDefaultEveryServerListensOnLoopbackOnly() throws Exception {
    List<InetSocketAddress> opened =
        serversOf(
            MillraceJobServerDriver.fromParams(
                new String[] {
                  "--job-port=0", "--artifact-port=0", "--expansion-port=0", "--ui-port=0"
                }));
    assertThat(
        "job service, artifact staging, expansion service, web UI and six harness services",
        opened,
        hasSize(greaterThanOrEqualTo(10)));
    for (InetSocketAddress address : opened) {
      assertThat(address + " is loopback", address.getAddress().isLoopbackAddress(), is(true));
    }
  }

  @Test
  void everyServerListensOnTheJobHostItIsGiven() throws Exception {
    // Another loopback address than localhost's: bound to it, nothing is on 127.0.0.1 or on all
    // addresses.
    List<InetSocketAddress> opened =
        serversOf(
            MillraceJobServerDriver.fromParams(
                new String[] {
                  "--job-host=127.0.0.2",
                  "--job-port=0",
                  "--artifact-port=0",
                  "--expansion-port=0",
                  "--ui-port=0"
                }));
    assertThat(opened, hasSize(greaterThanOrEqualTo(10)));
    assertThat(
        opened.stream().map(a -> a.getAddress().getHostAddress()).collect(Collectors.toList()),
        everyItem(is("127.0.0.2")));
  }

  /**
   * Starts {@code server}, runs a job whose environment is EXTERNAL (a worker pool of this test
   * that records the harness it is asked for and starts none) until its harness services exist, and
   * returns every socket the server listened on meanwhile, harness services included.
   */
  private static List<InetSocketAddress> serversOf(MillraceJobServerDriver server)
      throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux's /proc/net/tcp");
    Set<InetSocketAddress> before = new HashSet<>(ListeningSockets.ofThisProcess());
    RecordingWorkerPool pool = new RecordingWorkerPool();
    try (GrpcFnServer<RecordingWorkerPool> poolServer =
            GrpcFnServer.allocatePortAndCreateFor(pool, new BoundServerFactory("localhost"));
        JobServiceClient client = new JobServiceClient(server.start())) {
      // The pool is this test's: its server is no server of the job server's.
      before.add(
          new InetSocketAddress(
              InetAddress.getLoopbackAddress(), poolServer.getServer().getPort()));
      RunnerApi.Environment external =
          RunnerApi.Environment.newBuilder()
              .setUrn(BeamUrns.getUrn(RunnerApi.StandardEnvironments.Environments.EXTERNAL))
              .setPayload(
                  RunnerApi.ExternalPayload.newBuilder()
                      .setEndpoint(poolServer.getApiServiceDescriptor())
                      .build()
                      .toByteString())
              .build();
      Pipeline p = Pipeline.create(JobServiceClient.embeddedOptions());
      p.apply(Create.of(1, 2, 3));
      String job =
          client.submit(
              JobServiceClient.withEnvironment(JobServiceClient.proto(p), external),
              JobServiceClient.embeddedOptions(),
              "binding");
      assertThat("the harness was asked for", pool.asked.await(60, TimeUnit.SECONDS), is(true));
      List<InetSocketAddress> opened = new ArrayList<>(ListeningSockets.ofThisProcess());
      opened.removeAll(before);
      client.cancel(job);
      client.awaitEnd(job, 60);
      return opened;
    } finally {
      server.stop();
    }
  }

  /** Records the harness it is asked for and starts none; the job waits for it until cancelled. */
  private static final class RecordingWorkerPool
      extends BeamFnExternalWorkerPoolGrpc.BeamFnExternalWorkerPoolImplBase implements FnService {
    final CountDownLatch asked = new CountDownLatch(1);

    @Override
    public void startWorker(
        BeamFnApi.StartWorkerRequest request,
        StreamObserver<BeamFnApi.StartWorkerResponse> response) {
      response.onNext(BeamFnApi.StartWorkerResponse.getDefaultInstance());
      response.onCompleted();
      asked.countDown();
    }

    @Override
    public void stopWorker(
        BeamFnApi.StopWorkerRequest request,
        StreamObserver<BeamFnApi.StopWorkerResponse> response) {
      response.onNext(BeamFnApi.StopWorkerResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void close() {}
  }

  /** The TCP sockets this process listens on, from Linux's /proc/net/tcp and tcp6. */
  static final class ListeningSockets {
    private static final String LISTEN = "0A";

    static List<InetSocketAddress> ofThisProcess() throws IOException {
      Set<String> inodes = new HashSet<>();
      try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
        for (Path fd : (Iterable<Path>) fds::iterator) {
          try {
            String link = Files.readSymbolicLink(fd).toString();
            if (link.startsWith("socket:[")) {
              inodes.add(link.substring("socket:[".length(), link.length() - 1));
            }
          } catch (IOException closedMeanwhile) {
            // A descriptor closed while listed is no listening socket of interest.
          }
        }
      }
      List<InetSocketAddress> listening = new ArrayList<>();
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        Path path = Path.of(table);
        if (!Files.isReadable(path)) {
          continue;
        }
        for (String line : Files.readAllLines(path).subList(1, Files.readAllLines(path).size())) {
          String[] f = line.trim().split("\\s+");
          // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout
          // inode
          if (f.length > 9 && f[3].equals(LISTEN) && inodes.contains(f[9])) {
            listening.add(address(f[1]));
          }
        }
      }
      return listening;
    }

    /**
     * {@code HEXADDR:HEXPORT}, the address in the kernel's byte order (32-bit words, little-endian
     * here).
     */
    private static InetSocketAddress address(String field) throws IOException {
      String[] parts = field.split(":");
      String hex = parts[0];
      byte[] bytes = new byte[hex.length() / 2];
      for (int word = 0; word < bytes.length / 4; word++) {
        for (int b = 0; b < 4; b++) {
          int from = (word * 4 + (3 - b)) * 2;
          bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(from, from + 2), 16);
        }
      }
      return new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(parts[1], 16));
    }
  }

  @Test
  void theSocketTableReaderTellsAddressesApart() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux's /proc/net/tcp");
    // The tests above would pass on a reader that saw nothing, or saw every address alike.
    for (String host : List.of("127.0.0.1", "127.0.0.2")) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
        List<InetSocketAddress> seen =
            ListeningSockets.ofThisProcess().stream()
                .filter(a -> a.getPort() == socket.getLocalPort())
                .toList();
        assertThat(seen, hasSize(1));
        assertThat(seen.get(0).getAddress().getHostAddress(), is(host));
      }
    }
  }
}
