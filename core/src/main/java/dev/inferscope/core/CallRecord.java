package dev.inferscope.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.Collections;
import org.jspecify.annotations.Nullable;

/**
 * The summary of one ended call, handed to {@link CallListener}s (SLO trackers, the Spring actuator
 * endpoint, tests). Holds no payload. Immutable.
 */
public final class CallRecord {
  private final CallDescriptor descriptor;
  private final Outcome outcome;
  private final @Nullable ErrorType errorType;
  private final long durationNanos;
  private final Map<Phase, Long> phaseNanos;
  private final ServerTimingSource serverTimingSource;
  private final long inputTokens;
  private final long outputTokens;
  private final long chunks;
  private final int attempts;
  private final double confidence;
  private final @Nullable GpuSnapshot gpu;
  private final long endEpochNanos;
  private final @Nullable String traceId;

  CallRecord(
      CallDescriptor descriptor,
      Outcome outcome,
      @Nullable ErrorType errorType,
      long durationNanos,
      EnumMap<Phase, Long> phaseNanos,
      ServerTimingSource serverTimingSource,
      long inputTokens,
      long outputTokens,
      long chunks,
      int attempts,
      double confidence,
      @Nullable GpuSnapshot gpu,
      long endEpochNanos,
      @Nullable String traceId) {
    this.descriptor = descriptor;
    this.outcome = outcome;
    this.errorType = errorType;
    this.durationNanos = durationNanos;
    this.phaseNanos = Collections.unmodifiableMap(phaseNanos);
    this.serverTimingSource = serverTimingSource;
    this.inputTokens = inputTokens;
    this.outputTokens = outputTokens;
    this.chunks = chunks;
    this.attempts = attempts;
    this.confidence = confidence;
    this.gpu = gpu;
    this.endEpochNanos = endEpochNanos;
    this.traceId = traceId;
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

  /** Total duration of the call. */
  public long durationNanos() {
    return durationNanos;
  }

  /** Every phase that was measured or derived (NETWORK included), in nanoseconds. */
  public Map<Phase, Long> phaseNanos() {
    return phaseNanos;
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

  /** The GPU snapshot attached, or {@code null}. */
  public @Nullable GpuSnapshot gpu() {
    return gpu;
  }

  /** When the call ended, in epoch nanoseconds. */
  public long endEpochNanos() {
    return endEpochNanos;
  }

  /** The trace id of the call's span when it is sampled/valid, else {@code null}. */
  public @Nullable String traceId() {
    return traceId;
  }

  @Override
  public String toString() {
    return "CallRecord[" + descriptor.spanName() + " " + outcome.value()
        + (errorType == null ? "" : " " + errorType.tagValue())
        + " " + (durationNanos / 1_000_000.0) + "ms]";
  }
}
