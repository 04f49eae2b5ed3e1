package dev.inferscope.core;

/**
 * Where a call's server-side timing came from; the value of {@code inference.server_timing.source}.
 *
 * <p>Best first. Only {@link #RESPONSE} is the server's own account of both queue and compute for this
 * request; every other source with server timing is an estimate, and its phases carry
 * {@code inference.phase.estimated=true}. The estimates keep their error out of
 * {@link Phase#NETWORK}: the network is bounded by the round trip measured on the same connection or
 * channel, and what the server did not report lands in {@link Phase#SERVER_QUEUE}.
 */
public enum ServerTimingSource {
  /**
   * The server reported queue and compute for this very request (vLLM's {@code metrics} object with
   * {@code --enable-per-request-metrics}). Exact.
   */
  RESPONSE("response"),
  /**
   * The server reported this request's compute but not its queue (llama.cpp's {@code timings}:
   * {@code prompt_ms + predicted_ms}); the queue is the call's total minus the client's measured
   * phases, the compute and the measured network round trip.
   */
  RESPONSE_COMPUTE("response_compute"),
  /**
   * Compute from the server's statistics (Triton: the model's mean compute per request over the last
   * interval, which is stable; vLLM without per-request metrics: the mean prefill plus the call's output
   * tokens times the decode time per token, from its {@code /metrics} histograms); the queue is the
   * remainder after the measured network round trip.
   */
  STATISTICS("statistics"),
  /**
   * Queue and compute are both the previous statistics interval's averages (no network round trip has
   * been measured yet); the least accurate source.
   */
  STATISTICS_INTERVAL("statistics_interval"),
  /** No server timing known: everything outside the client's own phases is NETWORK. */
  NONE("none");

  private final String value;

  ServerTimingSource(String value) {
    this.value = value;
  }

  /** The attribute value. */
  public String value() {
    return value;
  }

  /** Whether the server part of this call is an estimate rather than a per-request report. */
  public boolean estimated() {
    return this != RESPONSE && this != NONE;
  }
}
