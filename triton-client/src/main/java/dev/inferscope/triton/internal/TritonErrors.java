package dev.inferscope.triton.internal;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jspecify.annotations.Nullable;

/**
 * Maps Triton's gRPC statuses and HTTP errors to {@link InferenceException}s, including Triton's two
 * meanings of UNAVAILABLE. Internal API: not for use outside Inferscope, may change without notice.
 */
public final class TritonErrors {
  private TritonErrors() {}

  /** A gRPC failure as an InferenceException. */
  public static InferenceException fromGrpc(Throwable t) {
    Status s = Status.fromThrowable(t);
    String description = s.getDescription();
    if (s.getCode() == Status.Code.RESOURCE_EXHAUSTED && description != null
        && description.contains("exceeds maximum size")) {
      // a message over a size limit (the client's for responses, the server's for requests) fails the
      // same way on every attempt: not worth a retry, and not the server being busy
      return InferenceException.builder(ErrorType.PROTOCOL,
              "gRPC message larger than the size limit (maxInboundMessageSize for responses)")
          .serverCode(s.getCode().name())
          .serverMessage(description)
          .retryable(false)
          .build();
    }
    ErrorType type = forGrpc(s.getCode(), description);
    return InferenceException.builder(type, "gRPC call failed with " + s.getCode())
        .serverCode(s.getCode().name())
        .serverMessage(description)
        .retryable(type == ErrorType.RESOURCE_EXHAUSTED || type.retryable())
        .cause(t instanceof StatusRuntimeException ? null : t)
        .build();
  }

  static ErrorType forGrpc(Status.Code code, @Nullable String description) {
    switch (code) {
      case UNAVAILABLE:
        if (description != null && description.contains("Exceeds maximum queue size")) {
          return ErrorType.RESOURCE_EXHAUSTED;
        }
        if (description != null && description.contains("Request timeout expired")) {
          return ErrorType.DEADLINE_EXCEEDED;
        }
        return ErrorType.UNAVAILABLE;
      case DEADLINE_EXCEEDED:
        return ErrorType.DEADLINE_EXCEEDED;
      case RESOURCE_EXHAUSTED:
        return ErrorType.RESOURCE_EXHAUSTED;
      case INVALID_ARGUMENT:
      case OUT_OF_RANGE:
      case FAILED_PRECONDITION:
        return ErrorType.INVALID_ARGUMENT;
      case NOT_FOUND:
        return ErrorType.NOT_FOUND;
      case UNAUTHENTICATED:
      case PERMISSION_DENIED:
        return ErrorType.UNAUTHENTICATED;
      case CANCELLED:
        return ErrorType.CANCELLED;
      case INTERNAL:
      case DATA_LOSS:
        return ErrorType.INTERNAL;
      case UNIMPLEMENTED:
        return ErrorType.NOT_FOUND;
      default:
        return ErrorType.UNKNOWN;
    }
  }

  /** An HTTP error response as an InferenceException (Triton's {@code {"error": "..."}} body). */
  public static InferenceException fromHttp(int status, @Nullable String message) {
    ErrorType type = switch (status) {
      case 400 -> ErrorType.INVALID_ARGUMENT;
      case 401, 403 -> ErrorType.UNAUTHENTICATED;
      case 404 -> ErrorType.NOT_FOUND;
      case 429 -> ErrorType.RESOURCE_EXHAUSTED;
      case 499 -> ErrorType.CANCELLED;
      case 504 -> ErrorType.DEADLINE_EXCEEDED;
      case 503 -> message != null && message.contains("Exceeds maximum queue size") ? ErrorType.RESOURCE_EXHAUSTED
          : message != null && message.contains("Request timeout expired") ? ErrorType.DEADLINE_EXCEEDED
          : ErrorType.UNAVAILABLE;
      default -> status >= 500 ? ErrorType.INTERNAL : ErrorType.UNKNOWN;
    };
    return InferenceException.builder(type, "HTTP " + status + " from Triton")
        .serverCode(Integer.toString(status))
        .serverMessage(message)
        .retryable(type == ErrorType.RESOURCE_EXHAUSTED || type.retryable())
        .build();
  }
}
