package dev.inferscope.core;

import java.util.Locale;

/** The kinds of failure an inference call can end with. */
public enum ErrorType {
  /** The call's deadline passed before it completed. */
  DEADLINE_EXCEEDED(true),
  /** The server could not be reached or said it is unavailable. */
  UNAVAILABLE(true),
  /** The server (or its queue) is full, or a rate limit applied. */
  RESOURCE_EXHAUSTED(true),
  /** The request was rejected as invalid, by the client before sending or by the server. */
  INVALID_ARGUMENT(false),
  /** The model, version or endpoint does not exist. */
  NOT_FOUND(false),
  /** Missing or rejected credentials, or not allowed. */
  UNAUTHENTICATED(false),
  /** The caller cancelled the call. */
  CANCELLED(false),
  /** The circuit breaker for this endpoint and model is open; nothing was sent. */
  CIRCUIT_OPEN(false),
  /** The bulkhead for this endpoint and model had no permit within the wait allowed. */
  BULKHEAD_FULL(false),
  /** The server's answer could not be understood (malformed or truncated). */
  PROTOCOL(false),
  /** The server reported an internal error. */
  INTERNAL(false),
  /** Anything else. */
  UNKNOWN(false);

  private final boolean retryable;
  private final String tagValue;

  ErrorType(boolean retryable) {
    this.retryable = retryable;
    this.tagValue = name().toLowerCase(Locale.ROOT);
  }

  /** Whether a failure of this type may succeed when tried again. */
  public boolean retryable() {
    return retryable;
  }

  /** The value used for the {@code error.type} attribute, tag and log field. */
  public String tagValue() {
    return tagValue;
  }
}
