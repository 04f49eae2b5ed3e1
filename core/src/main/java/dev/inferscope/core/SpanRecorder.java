package dev.inferscope.core;

import static dev.inferscope.core.InferenceAttributes.*;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ends a call's span from its {@link CallRecord}: the span recorder of the call pipeline. */
final class SpanRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(SpanRecorder.class);

  private SpanRecorder() {}

  /**
   * Sets the end attributes, lets the extractors and listeners enrich, sets the status and ends the span
   * at the record's end time. Does nothing for a span that is not recording.
   */
  static void record(Span span, CallRecord r, AttributesExtractor[] extractors, CallListener[] listeners,
      boolean phaseEvents, SemconvMode rpc) {
    if (!span.isRecording()) {
      return;
    }
    CallDescriptor d = r.descriptor();
    // attributes go straight to the span: no intermediate Attributes to build and sort
    for (Map.Entry<Phase, Long> e : r.phaseNanos().entrySet()) {
      span.setAttribute(InferenceAttributes.phaseDuration(e.getKey()), e.getValue() / 1e9);
    }
    span.setAttribute(SERVER_TIMING_SOURCE, r.serverTimingSource().value());
    List<String> estimated = estimated(r);
    if (!estimated.isEmpty()) {
      span.setAttribute(PHASES_ESTIMATED, estimated);
    }
    span.setAttribute(ATTEMPTS, r.attempts());
    if (r.modelVersion() != null) {
      span.setAttribute(MODEL_VERSION, r.modelVersion());
    }
    if (r.chunks() > 0) {
      span.setAttribute(CHUNKS, r.chunks());
    }
    if (r.batchSize() >= 0) {
      span.setAttribute(BATCH_SIZE, r.batchSize());
    }
    if (r.requestBytes() >= 0) {
      span.setAttribute(REQUEST_SIZE, r.requestBytes());
    }
    if (r.responseBytes() >= 0) {
      span.setAttribute(RESPONSE_SIZE, r.responseBytes());
    }
    if (r.grpcStatusCode() >= 0) {
      if (rpc.old()) {
        span.setAttribute(RPC_GRPC_STATUS_CODE, r.grpcStatusCode());
      }
      if (rpc.current()) {
        span.setAttribute(InferenceAttributes.RPC_RESPONSE_STATUS_CODE, SemconvMode.grpcStatusName(r.grpcStatusCode()));
      }
    }
    if (r.httpStatusCode() >= 0) {
      span.setAttribute(HTTP_RESPONSE_STATUS_CODE, r.httpStatusCode());
    }
    if (d.genAi()) {
      genAi(span, r);
    }
    if (!r.responseAttributes().isEmpty()) {
      span.setAllAttributes(r.responseAttributes());
    }
    GpuSnapshot gpu = r.gpu();
    if (gpu != null) {
      if (rpc.old()) {
        span.setAttribute(HW_GPU_ID, gpu.id());
      }
      if (rpc.current()) {
        span.setAttribute(InferenceAttributes.HW_ID, gpu.id());
      }
      if (!Double.isNaN(gpu.utilization())) {
        span.setAttribute(HW_GPU_UTILIZATION, gpu.utilization());
      }
      if (gpu.memoryUsedBytes() >= 0) {
        span.setAttribute(HW_GPU_MEMORY_USAGE, gpu.memoryUsedBytes());
      }
      if (gpu.memoryTotalBytes() >= 0) {
        span.setAttribute(HW_GPU_MEMORY_LIMIT, gpu.memoryTotalBytes());
      }
      span.setAttribute(HW_GPU_SAMPLE_AGE, r.gpuSampleAgeNanos() / 1e9);
    }
    if (extractors.length > 0 || listeners.length > 0) {
      enrich(span, r, extractors, listeners);
    }
    ErrorType errorType = r.errorType();
    if (errorType != null) {
      span.setAttribute(ERROR_TYPE, errorType.tagValue());
      // Only our own classification: the server's message can echo input and is never put here.
      span.setStatus(StatusCode.ERROR, errorType.name()
          + (r.errorCode() != null ? " (server code " + r.errorCode() + ")" : ""));
    }
    long endEpoch = r.endEpochNanos();
    if (phaseEvents) {
      // the pre-0.2 shape, kept on request during a migration: one span event per phase
      for (Map.Entry<Phase, Long> e : r.phaseNanos().entrySet()) {
        span.addEvent("inference.phase", Attributes.of(
                PHASE_NAME, e.getKey().key(),
                PHASE_DURATION, e.getValue() / 1e9,
                PHASE_ESTIMATED, r.phaseEstimated(e.getKey())),
            endEpoch, TimeUnit.NANOSECONDS);
      }
    }
    span.end(endEpoch, TimeUnit.NANOSECONDS);
  }

  /**
   * The estimated phases in phase order. Which phases are estimated depends only on the timing source and
   * on whether the server phases are present (NETWORK always is), so the lists are made once, not per call.
   */
  private static List<String> estimated(CallRecord r) {
    int key = r.serverTimingSource().ordinal() * 4
        + (r.phaseNanos(Phase.SERVER_QUEUE) >= 0 ? 2 : 0) + (r.phaseNanos(Phase.SERVER_COMPUTE) >= 0 ? 1 : 0);
    return ESTIMATED[key];
  }

  @SuppressWarnings("unchecked")
  private static final List<String>[] ESTIMATED = new List[ServerTimingSource.values().length * 4];

  static {
    for (ServerTimingSource source : ServerTimingSource.values()) {
      for (int present = 0; present < 4; present++) {
        List<String> out = new ArrayList<>(3);
        if (source != ServerTimingSource.RESPONSE) {
          out.add(Phase.NETWORK.key());
        }
        if (source.estimated() && (present & 2) != 0) {
          out.add(Phase.SERVER_QUEUE.key());
        }
        if (source.estimated() && (present & 1) != 0) {
          out.add(Phase.SERVER_COMPUTE.key());
        }
        ESTIMATED[source.ordinal() * 4 + present] = List.copyOf(out);
      }
    }
  }

  private static void genAi(Span span, CallRecord r) {
    if (r.responseModel() != null) {
      span.setAttribute(GEN_AI_RESPONSE_MODEL, r.responseModel());
    }
    if (r.responseId() != null) {
      span.setAttribute(GEN_AI_RESPONSE_ID, r.responseId());
    }
    if (!r.finishReasons().isEmpty()) {
      span.setAttribute(GEN_AI_RESPONSE_FINISH_REASONS, r.finishReasons());
    }
    if (r.inputTokens() >= 0) {
      span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, r.inputTokens());
    }
    if (r.outputTokens() >= 0) {
      span.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, r.outputTokens());
    }
    if (r.serverTimeToFirstTokenNanos() >= 0) {
      span.setAttribute(SERVER_TIME_TO_FIRST_TOKEN, r.serverTimeToFirstTokenNanos() / 1e9);
    }
    if (r.serverMeanInterTokenNanos() >= 0) {
      span.setAttribute(SERVER_MEAN_INTER_TOKEN_LATENCY, r.serverMeanInterTokenNanos() / 1e9);
    }
    long ttft = r.phaseNanos(Phase.TIME_TO_FIRST_TOKEN);
    if (ttft >= 0) {
      span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttft / 1e9);
    }
  }

  private static void enrich(Span span, CallRecord r, AttributesExtractor[] extractors, CallListener[] listeners) {
    AttributesBuilder extra = Attributes.builder();
    for (AttributesExtractor x : extractors) {
      try {
        x.onEnd(extra, r);
      } catch (RuntimeException e) {
        LOG.debug("inferscope: attributes extractor failed at end", e);
      }
    }
    for (CallListener l : listeners) {
      try {
        l.onEnding(r, extra);
      } catch (RuntimeException e) {
        LOG.debug("inferscope: call listener failed while the call was ending", e);
      }
    }
    span.setAllAttributes(extra.build());
  }
}
