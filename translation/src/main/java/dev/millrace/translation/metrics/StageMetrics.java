package dev.millrace.translation.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
import org.apache.beam.runners.fnexecution.control.InstructionRequestHandler;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;

/**
 * The user metrics of a finished remote bundle. A harness reports them either as whole
 * MonitoringInfos or, to save bytes, as payloads under short ids whose meaning (URN and labels) the
 * runner asks for once per id; both arrive here as MonitoringInfos. System metrics (element counts,
 * timings) are left out: only {@code beam:metric:user:} ones are what users asked for.
 */
public final class StageMetrics {
  private static final String USER_METRIC_PREFIX = "beam:metric:user:";
  private static final long METADATA_TIMEOUT_SECONDS = 60;
  private static final String TYPESCRIPT_TRANSFORM_LABEL = "TRANSFORM";

  private final InstructionRequestHandler harness;

  /** What each short id of this harness means, payload left out. */
  private final Map<String, MonitoringInfo> shortIds = new HashMap<>();

  /** Instruction ids are per harness, which stages and jobs share. */
  private static final java.util.concurrent.atomic.AtomicLong REQUESTS =
      new java.util.concurrent.atomic.AtomicLong();

  public StageMetrics(InstructionRequestHandler harness) {
    this.harness = harness;
  }

  public List<MonitoringInfo> userMetricsOf(BeamFnApi.ProcessBundleResponse response)
      throws Exception {
    List<MonitoringInfo> user = new ArrayList<>();
    if (response.getMonitoringInfosCount() > 0) {
      for (MonitoringInfo info : response.getMonitoringInfosList()) {
        if (info.getUrn().startsWith(USER_METRIC_PREFIX)) {
          user.add(TypeScriptMetrics.toStandard(withTransformLabel(info)));
        }
      }
      return user;
    }
    learn(response.getMonitoringDataMap());
    for (Map.Entry<String, ByteString> data : response.getMonitoringDataMap().entrySet()) {
      MonitoringInfo meaning = shortIds.get(data.getKey());
      if (meaning != null && meaning.getUrn().startsWith(USER_METRIC_PREFIX)) {
        user.add(
            TypeScriptMetrics.toStandard(
                withTransformLabel(meaning.toBuilder().setPayload(data.getValue()).build())));
      }
    }
    return user;
  }

  /**
   * The metric with its transform under the standard PTRANSFORM label: the TypeScript SDK (2.49)
   * labels it TRANSFORM.
   */
  private static MonitoringInfo withTransformLabel(MonitoringInfo info) {
    String transform = info.getLabelsMap().get(TYPESCRIPT_TRANSFORM_LABEL);
    if (transform == null || info.containsLabels(MonitoringInfoConstants.Labels.PTRANSFORM)) {
      return info;
    }
    return info.toBuilder()
        .removeLabels(TYPESCRIPT_TRANSFORM_LABEL)
        .putLabels(MonitoringInfoConstants.Labels.PTRANSFORM, transform)
        .build();
  }

  /** Asks the harness what the short ids not seen before mean. */
  private void learn(Map<String, ByteString> monitoringData) throws Exception {
    List<String> unknown = new ArrayList<>();
    for (String id : monitoringData.keySet()) {
      if (!shortIds.containsKey(id)) {
        unknown.add(id);
      }
    }
    if (unknown.isEmpty()) {
      return;
    }
    BeamFnApi.InstructionResponse response =
        harness
            .handle(
                BeamFnApi.InstructionRequest.newBuilder()
                    .setInstructionId("millrace-metrics-" + REQUESTS.incrementAndGet())
                    .setMonitoringInfos(
                        BeamFnApi.MonitoringInfosMetadataRequest.newBuilder()
                            .addAllMonitoringInfoId(unknown))
                    .build())
            .toCompletableFuture()
            .get(METADATA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!response.getError().isEmpty()) {
      throw new IllegalStateException(
          "the SDK harness could not describe its metrics: " + response.getError());
    }
    shortIds.putAll(response.getMonitoringInfos().getMonitoringInfoMap());
  }
}
