package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.fnexecution.v1.BeamFnControlGrpc;
import org.apache.beam.model.fnexecution.v1.BeamFnExternalWorkerPoolGrpc;
import org.apache.beam.model.jobmanagement.v1.JobApi.JobState;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.fn.channel.AddHarnessIdInterceptor;
import org.apache.beam.sdk.fn.channel.ManagedChannelFactory;
import org.apache.beam.sdk.fn.server.FnService;
import org.apache.beam.sdk.fn.server.GrpcFnServer;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.construction.BeamUrns;
import org.apache.beam.sdk.util.construction.Environments;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.Context;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ManagedChannel;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.StatusRuntimeException;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input reaches the job server the way an SDK would send it, over the job API: each gets a
 * clear error (at submission or as the job's failure), and the server goes on serving: a job that
 * runs alongside all of them ends DONE, and so does one submitted after them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class JobServerRobustnessTest {
  /** A harness that prints why it cannot start and exits: a harness that dies while it starts. */
  private static final String DYING_HARNESS =
      java.nio.file.Path.of("src/test/scripts/failing-harness.sh").toAbsolutePath().toString();

  private MillraceJobServerDriver server;
  private JobServiceClient client;

  @BeforeAll
  void start() throws Exception {
    server =
        MillraceJobServerDriver.onFreeLoopbackPorts("--allowed-process-commands=" + DYING_HARNESS);
    client = new JobServiceClient(server.start());
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop();
    }
  }

  /** Emits {@code count} numbers, sleeping a little before each: a job that runs for a while. */
  static final class SlowCount extends DoFn<byte[], KV<String, Long>> {
    private final int count;

    SlowCount(int count) {
      this.count = count;
    }

    @ProcessElement
    public void process(OutputReceiver<KV<String, Long>> out) throws InterruptedException {
      for (long i = 0; i < count; i++) {
        Thread.sleep(50);
        out.output(KV.of("k" + (i % 3), i));
      }
    }
  }

  static final class Refuse extends DoFn<KV<String, Iterable<Long>>, String> {
    @ProcessElement
    public void process(@Element KV<String, Iterable<Long>> element) {
      throw new IllegalStateException("millrace-robustness: refusing key " + element.getKey());
    }
  }

  /** Impulse, a slow count, GroupByKey: a job with a runner-side grouping between two stages. */
  private static RunnerApi.Pipeline counting(int count) {
    Pipeline p = Pipeline.create(JobServiceClient.embeddedOptions());
    p.apply(Impulse.create())
        .apply(ParDo.of(new SlowCount(count)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply(GroupByKey.create());
    return JobServiceClient.proto(p);
  }

  private String submit(RunnerApi.Pipeline pipeline, String name) {
    return client.submit(pipeline, JobServiceClient.embeddedOptions(), name);
  }

  /** Submits {@code pipeline}, expects it to fail, and returns what the server said about it. */
  private String failure(RunnerApi.Pipeline pipeline, String name) throws InterruptedException {
    String job = submit(pipeline, name);
    assertThat(name + " ends FAILED", client.awaitEnd(job, 60), is(JobState.Enum.FAILED));
    return client.messages(job);
  }

  @Test
  void badInputFailsItsOwnJobOnlyAndTheServerGoesOn() throws Exception {
    String alongside = submit(counting(40), "alongside");

    List<String> problems = new ArrayList<>();
    problems.add(failure(withUnknownTransform(counting(3)), "unknown-urn"));
    assertThat(problems.get(0), containsString("beam:transform:millrace-test-mystery:v1"));
    assertThat(problems.get(0), containsString("Mystery"));

    problems.add(
        failure(JobServiceClient.withEnvironment(counting(3), dockerEnvironment()), "docker"));
    assertThat(problems.get(1), containsString("DOCKER"));
    assertThat(problems.get(1), containsString("LOOPBACK"));

    problems.add(
        failure(
            JobServiceClient.withEnvironment(
                counting(3), Environments.createProcessEnvironment("", "", "/bin/true", Map.of())),
            "process-not-allowed"));
    assertThat(problems.get(2), containsString("'/bin/true', which this server does not allow"));

    problems.add(
        failure(
            JobServiceClient.withEnvironment(
                counting(3),
                Environments.createProcessEnvironment("", "", DYING_HARNESS, Map.of())),
            "dying-harness"));
    assertThat(problems.get(3), containsString("exited with code 3 before it connected"));
    assertThat(
        problems.get(3), containsString("millrace-test-harness: cannot start, asked for --id="));

    problems.add(failure(withGroupingInputCoder(counting(3), stringCoder()), "coder-mismatch"));
    assertThat(problems.get(4), containsString("needs KV input"));

    Pipeline throwing = Pipeline.create(JobServiceClient.embeddedOptions());
    throwing
        .apply(Impulse.create())
        .apply(ParDo.of(new SlowCount(3)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply(GroupByKey.create())
        .apply(ParDo.of(new Refuse()));
    problems.add(failure(JobServiceClient.proto(throwing), "throwing-dofn"));
    assertThat(problems.get(5), containsString("millrace-robustness: refusing key k"));

    assertThat(
        "a job running alongside the bad ones",
        client.awaitEnd(alongside, 60),
        is(JobState.Enum.DONE));
    assertThat(
        "a job after them",
        client.awaitEnd(submit(counting(3), "after"), 60),
        is(JobState.Enum.DONE));
  }

  @Test
  void malformedPipelineIsRefusedAtSubmission() {
    RunnerApi.Pipeline good = counting(3);
    RunnerApi.Pipeline.Builder broken = good.toBuilder();
    String someTransform = firstTransformWithInput(good);
    RunnerApi.PTransform transform = good.getComponents().getTransformsOrThrow(someTransform);
    String input = transform.getInputsMap().keySet().iterator().next();
    broken
        .getComponentsBuilder()
        .putTransforms(
            someTransform, transform.toBuilder().putInputs(input, "no-such-pcollection").build());
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> submit(broken.build(), "malformed"));
    assertThat(refused.getStatus().getCode().name(), is("INVALID_ARGUMENT"));
  }

  @Test
  void dependenciesThatWereNeverStagedAreRefused() {
    RunnerApi.Pipeline good = counting(3);
    RunnerApi.Pipeline.Builder withDependency = good.toBuilder();
    for (Map.Entry<String, RunnerApi.Environment> environment :
        good.getComponents().getEnvironmentsMap().entrySet()) {
      withDependency
          .getComponentsBuilder()
          .putEnvironments(
              environment.getKey(),
              environment.getValue().toBuilder()
                  .addDependencies(
                      RunnerApi.ArtifactInformation.newBuilder()
                          .setTypeUrn(BeamUrns.getUrn(RunnerApi.StandardArtifacts.Types.FILE))
                          .setTypePayload(
                              RunnerApi.ArtifactFilePayload.newBuilder()
                                  .setPath("/no/such/artifact.jar")
                                  .build()
                                  .toByteString()))
                  .build());
    }
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class, () -> submit(withDependency.build(), "unstaged"));
    assertThat(refused.getStatus().getCode().name(), is("INTERNAL"));
    assertThat(refused.getMessage(), containsString("not staged"));
  }

  @Test
  void cancelStopsARunningJob() throws Exception {
    String job = submit(counting(2000), "cancelled");
    client.awaitRunningId(job, 60);
    client.cancel(job);
    assertThat(client.awaitEnd(job, 60), is(JobState.Enum.CANCELLED));
  }

  /**
   * A harness that connects its control stream and closes it at its first ProcessBundle, before its
   * data stream ever connects (a LOOPBACK client killed at the wrong moment): its job fails at
   * once, naming the harness, instead of waiting minutes for data that cannot come.
   */
  @Test
  void aHarnessLostBeforeItsDataStreamConnectsFailsItsJobAtOnce() throws Exception {
    try (GrpcFnServer<VanishingWorkerPool> pool =
        GrpcFnServer.allocatePortAndCreateFor(
            new VanishingWorkerPool(), ServerFactory.createDefault())) {
      RunnerApi.Environment external =
          RunnerApi.Environment.newBuilder()
              .setUrn(BeamUrns.getUrn(RunnerApi.StandardEnvironments.Environments.EXTERNAL))
              .setPayload(
                  RunnerApi.ExternalPayload.newBuilder()
                      .setEndpoint(pool.getApiServiceDescriptor())
                      .build()
                      .toByteString())
              .build();
      String job =
          submit(JobServiceClient.withEnvironment(counting(3), external), "vanishing-harness");
      assertThat(client.awaitEnd(job, 60), is(JobState.Enum.FAILED));
      assertThat(
          client.messages(job),
          containsString("closed its control stream while the job was running"));
    }
  }

  /** Starts harnesses that connect, then go at the first bundle the runner sends them. */
  private static final class VanishingWorkerPool
      extends BeamFnExternalWorkerPoolGrpc.BeamFnExternalWorkerPoolImplBase implements FnService {
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

    @Override
    public void startWorker(
        BeamFnApi.StartWorkerRequest request,
        StreamObserver<BeamFnApi.StartWorkerResponse> response) {
      ManagedChannel channel =
          ManagedChannelFactory.createDefault()
              .withInterceptors(List.of(AddHarnessIdInterceptor.create(request.getWorkerId())))
              .forDescriptor(request.getControlEndpoint());
      channels.add(channel);
      AtomicReference<StreamObserver<BeamFnApi.InstructionResponse>> toRunner =
          new AtomicReference<>();
      // Outside this call's context, which gRPC cancels (and every call started in it) when
      // startWorker returns.
      Context.ROOT.run(
          () ->
              toRunner.set(
                  BeamFnControlGrpc.newStub(channel)
                      .control(
                          new StreamObserver<>() {
                            @Override
                            public void onNext(BeamFnApi.InstructionRequest instruction) {
                              if (!instruction.hasProcessBundle()) {
                                return;
                              }
                              StreamObserver<BeamFnApi.InstructionResponse> stream =
                                  toRunner.getAndSet(null);
                              if (stream != null) {
                                stream.onCompleted();
                              }
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {}
                          })));
      response.onNext(BeamFnApi.StartWorkerResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void stopWorker(
        BeamFnApi.StopWorkerRequest request,
        StreamObserver<BeamFnApi.StopWorkerResponse> response) {
      response.onNext(BeamFnApi.StopWorkerResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void close() {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  private static String firstTransformWithInput(RunnerApi.Pipeline pipeline) {
    for (Map.Entry<String, RunnerApi.PTransform> transform :
        pipeline.getComponents().getTransformsMap().entrySet()) {
      if (transform.getValue().getSubtransformsCount() == 0
          && transform.getValue().getInputsCount() > 0) {
        return transform.getKey();
      }
    }
    throw new IllegalStateException("no transform with an input");
  }

  /** The pipeline with one more root transform, of a URN nobody knows. */
  private static RunnerApi.Pipeline withUnknownTransform(RunnerApi.Pipeline pipeline) {
    RunnerApi.PCollection any =
        pipeline.getComponents().getPcollectionsMap().values().iterator().next();
    RunnerApi.Pipeline.Builder builder = pipeline.toBuilder();
    builder
        .getComponentsBuilder()
        .putPcollections("mystery-out", any.toBuilder().setUniqueName("Mystery.out").build())
        .putTransforms(
            "mystery",
            RunnerApi.PTransform.newBuilder()
                .setUniqueName("Mystery")
                .setSpec(
                    RunnerApi.FunctionSpec.newBuilder()
                        .setUrn("beam:transform:millrace-test-mystery:v1"))
                .putOutputs("out", "mystery-out")
                .build());
    return builder.addRootTransformIds("mystery").build();
  }

  /** The pipeline with every environment replaced by {@code environment}. */
  private static RunnerApi.Environment dockerEnvironment() {
    return Environments.createDockerEnvironment("apache/beam_java17_sdk:2.62.0");
  }

  private static RunnerApi.Coder stringCoder() {
    return RunnerApi.Coder.newBuilder()
        .setSpec(
            RunnerApi.FunctionSpec.newBuilder()
                .setUrn(BeamUrns.getUrn(RunnerApi.StandardCoders.Enum.STRING_UTF8)))
        .build();
  }

  /**
   * The pipeline with the input of its GroupByKey declared in {@code coder}, which is no KV coder.
   */
  private static RunnerApi.Pipeline withGroupingInputCoder(
      RunnerApi.Pipeline pipeline, RunnerApi.Coder coder) {
    RunnerApi.Pipeline.Builder builder = pipeline.toBuilder();
    builder.getComponentsBuilder().putCoders("millrace-test-not-kv", coder);
    for (RunnerApi.PTransform transform : pipeline.getComponents().getTransformsMap().values()) {
      if (transform.getSpec().getUrn().equals(PTransformTranslation.GROUP_BY_KEY_TRANSFORM_URN)) {
        String input = transform.getInputsMap().values().iterator().next();
        RunnerApi.PCollection declared = pipeline.getComponents().getPcollectionsOrThrow(input);
        builder
            .getComponentsBuilder()
            .putPcollections(
                input, declared.toBuilder().setCoderId("millrace-test-not-kv").build());
      }
    }
    return builder.build();
  }
}
