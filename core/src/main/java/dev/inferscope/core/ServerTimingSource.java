package dev.inferscope.core;

/** Where a call's server-side timing came from; the value of {@code inference.server_timing.source}. */
public enum ServerTimingSource {
  /** Estimated from the server's cumulative statistics over an interval (Triton model statistics). */
  STATISTICS("statistics"),
  /** Reported by the server for this very request (vLLM metrics, {@code timings} objects). */
  RESPONSE("response"),
  /** No server timing known. */
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
    return this == STATISTICS;
  }
}
