package dev.inferscope.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Everything Inferscope knows about one ended call, made once when the call ends: the span, the meters,
 * the log line and every {@link CallListener} are fed from this one record. Holds no payload: there is
 * no field for one. Immutable.
 *
 * <p>Numbers that are unknown are {@code -1} (NaN for the confidence); strings that are unknown are
 * {@code null}. Strings that came from the server are already scrubbed and capped.
 */
public final class CallRecord {
  private final CallDescriptor descriptor;
  private final Outcome outcome;
  private final @Nullable ErrorType errorType;
  private final @Nullable String errorCode;
  private final long durationNanos;
  private final long startEpochNanos;
  private final Map<Phase, Long> phaseNanos;
  private final ServerTimingSource serverTimingSource;
  private final long inputTokens;
  private final long outputTokens;
  private final long chunks;
  private final int attempts;
  private final double confidence;
  private final @Nullable String modelVersion;
  private final @Nullable String responseModel;
  private final @Nullable String responseId;
  private final List<String> finishReasons;
  private final long requestBytes;
  private final long responseBytes;
  private final long batchSize;
  private final int grpcStatusCode;
  private final int httpStatusCode;
  private final long serverTimeToFirstTokenNanos;
  private final long serverMeanInterTokenNanos;
  private final @Nullable GpuSnapshot gpu;
  private final long gpuSampleAgeNanos;
  private final @Nullable String traceId;
  private final @Nullable String spanId;
  private final Map<String, String> attributes;
  private final io.opentelemetry.api.common.Attributes responseAttributes;

  // Package-private: Call is the only producer. One constructor, one copy of each value.
  CallRecord(CallDescriptor descriptor, Outcome outcome, @Nullable ErrorType errorType, @Nullable String errorCode,
      long durationNanos, long startEpochNanos, EnumMap<Phase, Long> phaseNanos, ServerTimingSource source,
      long inputTokens, long outputTokens, long chunks, int attempts, double confidence,
      @Nullable String modelVersion, @Nullable String responseModel, @Nullable String responseId,
      @Nullable List<String> finishReasons, long requestBytes, long responseBytes, long batchSize,
      int grpcStatusCode, int httpStatusCode, long serverTimeToFirstTokenNanos, long serverMeanInterTokenNanos,
      @Nullable GpuSnapshot gpu, long gpuSampleAgeNanos, @Nullable String traceId, @Nullable String spanId,
      Map<String, String> attributes, io.opentelemetry.api.common.Attributes responseAttributes) {
    this.descriptor = descriptor;
    this.outcome = outcome;
    this.errorType = errorType;
    this.errorCode = errorCode;
    this.durationNanos = durationNanos;
    this.startEpochNanos = startEpochNanos;
    this.phaseNanos = Collections.unmodifiableMap(phaseNanos);
    this.serverTimingSource = source;
    this.inputTokens = inputTokens;
    this.outputTokens = outputTokens;
    this.chunks = chunks;
    this.attempts = attempts;
    this.confidence = confidence;
    this.modelVersion = modelVersion;
    this.responseModel = responseModel;
    this.responseId = responseId;
    this.finishReasons = finishReasons == null ? List.of() : finishReasons;
    this.requestBytes = requestBytes;
    this.responseBytes = responseBytes;
    this.batchSize = batchSize;
    this.grpcStatusCode = grpcStatusCode;
    this.httpStatusCode = httpStatusCode;
    this.serverTimeToFirstTokenNanos = serverTimeToFirstTokenNanos;
    this.serverMeanInterTokenNanos = serverMeanInterTokenNanos;
    this.gpu = gpu;
    this.gpuSampleAgeNanos = gpuSampleAgeNanos;
    this.traceId = traceId;
    this.spanId = spanId;
    this.attributes = attributes;
    this.responseAttributes = responseAttributes;
  }

  public CallDescriptor descriptor() {
    return descriptor;
  }

  public Outcome outcome() {
    return outcome;
  }

  /** The error type, or {@code null} on success. */
  public @Nullable ErrorType errorType() {
    return errorType;
  }

  /**
   * The server's own error code, or {@code null}; kept only when it looks like an identifier (letters,
   * digits, {@code _ . : -}, at most 32 characters), so an error that echoes input never reaches telemetry.
   */
  public @Nullable String errorCode() {
    return errorCode;
  }

  /** Total duration of the call. */
  public long durationNanos() {
    return durationNanos;
  }

  /** When the call started, in epoch nanoseconds. */
  public long startEpochNanos() {
    return startEpochNanos;
  }

  /** When the call ended, in epoch nanoseconds. */
  public long endEpochNanos() {
    return startEpochNanos + durationNanos;
  }

  /**
   * Every phase that was measured or derived (NETWORK included), in nanoseconds. The partition phases
   * ({@link Phase#inPartition()}) sum to {@link #durationNanos()} exactly.
   */
  public Map<Phase, Long> phaseNanos() {
    return phaseNanos;
  }

  /** One phase's nanoseconds, or -1 when it was not measured. */
  public long phaseNanos(Phase phase) {
    Long v = phaseNanos.get(phase);
    return v == null ? -1 : v;
  }

  /** Whether {@code phase} is an estimate rather than a measurement or a server report. */
  public boolean phaseEstimated(Phase phase) {
    if (phase == Phase.SERVER_QUEUE || phase == Phase.SERVER_COMPUTE) {
      return serverTimingSource.estimated();
    }
    return phase == Phase.NETWORK && serverTimingSource != ServerTimingSource.RESPONSE;
  }

  public ServerTimingSource serverTimingSource() {
    return serverTimingSource;
  }

  /** Input tokens, or -1 when unknown. */
  public long inputTokens() {
    return inputTokens;
  }

  /** Output tokens, or -1 when unknown. */
  public long outputTokens() {
    return outputTokens;
  }

  /** Streaming chunks received. */
  public long chunks() {
    return chunks;
  }

  /** Attempts made (1 when not retried). */
  public int attempts() {
    return attempts;
  }

  /** The prediction confidence the client reported, or NaN. */
  public double confidence() {
    return confidence;
  }

  /** The model version: the server's answer when it gave one, else the one requested; or {@code null}. */
  public @Nullable String modelVersion() {
    return modelVersion;
  }

  /** The model the server says answered (GenAI), or {@code null}. */
  public @Nullable String responseModel() {
    return responseModel;
  }

  /** The server's response id, or {@code null}. */
  public @Nullable String responseId() {
    return responseId;
  }

  /** Finish reasons, one per choice; empty when none were reported. */
  public List<String> finishReasons() {
    return finishReasons;
  }

  /** Request size in bytes, or -1. */
  public long requestBytes() {
    return requestBytes;
  }

  /** Response size in bytes, or -1. */
  public long responseBytes() {
    return responseBytes;
  }

  /** Batch size, or -1. */
  public long batchSize() {
    return batchSize;
  }

  /** The gRPC status code, or -1 for calls that were not gRPC or got no status. */
  public int grpcStatusCode() {
    return grpcStatusCode;
  }

  /** The HTTP status code, or -1 for calls that were not HTTP or got no response. */
  public int httpStatusCode() {
    return httpStatusCode;
  }

  /** The server's own time to first token (vLLM: from scheduling), or -1. Not part of the partition. */
  public long serverTimeToFirstTokenNanos() {
    return serverTimeToFirstTokenNanos;
  }

  /** The server's own mean inter-token latency, or -1. Not part of the partition. */
  public long serverMeanInterTokenNanos() {
    return serverMeanInterTokenNanos;
  }

  /** The GPU snapshot attached, or {@code null}. */
  public @Nullable GpuSnapshot gpu() {
    return gpu;
  }

  /** How old the GPU snapshot was when the call ended, or -1 without one. */
  public long gpuSampleAgeNanos() {
    return gpuSampleAgeNanos;
  }

  /** The trace id of the call's span when it is valid, else {@code null}. */
  public @Nullable String traceId() {
    return traceId;
  }

  /** The span id of the call's span when it is valid, else {@code null}. */
  public @Nullable String spanId() {
    return spanId;
  }

  /**
   * Custom attributes: the caller's ({@link CallDescriptor#attributes()}) and those read from allow-listed
   * Baggage keys when the call started.
   */
  public Map<String, String> attributes() {
    return attributes;
  }

  /**
   * What the client read from the response beyond the common fields (counts such as tool calls and
   * choices, token details such as cached and reasoning tokens; never content). Empty when none.
   */
  public io.opentelemetry.api.common.Attributes responseAttributes() {
    return responseAttributes;
  }

  @Override
  public String toString() {
    return "CallRecord[" + descriptor.spanName() + " " + outcome.value()
        + (errorType == null ? "" : " " + errorType.tagValue())
        + " " + (durationNanos / 1_000_000.0) + "ms]";
  }
}
