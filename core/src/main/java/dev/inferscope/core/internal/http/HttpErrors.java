package dev.inferscope.core.internal.http;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one table from an HTTP status to an {@link ErrorType}, with per-system overrides, and the one
 * reader of error bodies.
 *
 * <p>The table follows gRPC's own HTTP-to-status mapping (grpc/grpc {@code doc/http-grpc-status-mapping.md}:
 * 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE), so the
 * same failure classifies the same over gRPC and HTTP, refined where the HTTP status says more: 400,
 * 413 and 422 are the caller's request (INVALID_ARGUMENT); 404 and 405 NOT_FOUND; 501 NOT_FOUND (gRPC's
 * UNIMPLEMENTED, which {@code TritonErrors} also maps to NOT_FOUND), not retried; 408 and 504
 * DEADLINE_EXCEEDED; 429 RESOURCE_EXHAUSTED; 499 CANCELLED; 502 and 503 UNAVAILABLE (a proxy or server
 * that cannot take the call now, retried); other 5xx INTERNAL, other statuses UNKNOWN. A system adds
 * an {@link Override} for statuses whose meaning depends on its message (Triton's 503 for a full
 * queue).
 */
public final class HttpErrors {
  /** The most bytes of an error body read. */
  public static final int MAX_ERROR_BODY = 64 << 10;

  /** A system's refinement of the table; returns null to keep the table's answer. */
  @FunctionalInterface
  public interface Override {
    @Nullable ErrorType classify(int status, @Nullable String serverMessage);
  }

  /** No refinement. */
  public static final Override NONE = (status, message) -> null;

  private HttpErrors() {}

  /** The table's error type for {@code status}. */
  public static ErrorType forStatus(int status) {
    return switch (status) {
      case 400, 413, 422 -> ErrorType.INVALID_ARGUMENT;
      case 401, 403, 407 -> ErrorType.UNAUTHENTICATED;
      case 404, 405, 501 -> ErrorType.NOT_FOUND;
      case 408, 504 -> ErrorType.DEADLINE_EXCEEDED;
      case 429 -> ErrorType.RESOURCE_EXHAUSTED;
      case 499 -> ErrorType.CANCELLED;
      case 502, 503 -> ErrorType.UNAVAILABLE;
      default -> status >= 500 && status <= 599 ? ErrorType.INTERNAL : ErrorType.UNKNOWN;
    };
  }

  /**
   * An error response as an exception: the type from the table (or {@code override}), the server's
   * message (from the body, scrubbed and capped by {@link InferenceException}), its status as the server
   * code and {@code Retry-After} when given.
   */
  public static InferenceException fromResponse(String server, int status, byte[] body,
      @Nullable String retryAfter, Override override) {
    String message = message(body);
    ErrorType type = override.classify(status, message);
    if (type == null) {
      type = forStatus(status);
    }
    return InferenceException.builder(type, "HTTP " + status + " from " + server)
        .serverCode(Integer.toString(status))
        .serverMessage(message)
        .retryable(type.retryable())
        .retryAfter(retryAfter(retryAfter))
        .build();
  }

  /**
   * The message of an error body: OpenAI's {@code {"error": {"message": ...}}}, vLLM's older flat
   * {@code {"object": "error", "message": ...}}, Triton's {@code {"error": "..."}}, FastAPI's
   * {@code {"detail": "..."}}; otherwise the first KiB of the body as text; null when empty.
   */
  static @Nullable String message(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      Map<String, Object> m = Json.parseObject(body, "error body");
      Object err = m.get("error");
      if (err instanceof Map<?, ?> e && e.get("message") != null) {
        return String.valueOf(e.get("message"));
      }
      if (err instanceof String s) {
        return s;
      }
      if ("error".equals(m.get("object")) && m.get("message") != null) {
        return String.valueOf(m.get("message"));
      }
      if (m.get("detail") instanceof String s) {
        return s;
      }
    } catch (InferenceException notJson) {
      // fall through to the raw text
    }
    return new String(body, 0, Math.min(body.length, 1024), StandardCharsets.UTF_8);
  }

  /** The longest Retry-After taken from a server, in either form. */
  public static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

  /**
   * {@code Retry-After} as delta-seconds or an HTTP date (RFC 9110 section 10.2.3), at most
   * {@link #MAX_RETRY_AFTER}; a date in the past is zero; null when absent or unparseable.
   */
  public static @Nullable Duration retryAfter(@Nullable String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, MAX_RETRY_AFTER.toSeconds()));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return d.isNegative() ? Duration.ZERO : d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }
}
