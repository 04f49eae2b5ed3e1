package dev.inferscope.examples.springapp;

import dev.inferscope.core.InferenceException;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Maps Inferscope's errors to HTTP answers that say what failed without echoing the server's message
 * (it can contain the input).
 */
@RestControllerAdvice
class ErrorHandling {
  @ExceptionHandler(InferenceException.class)
  ResponseEntity<Map<String, Object>> inference(InferenceException e) {
    HttpStatus status = switch (e.errorType()) {
      case DEADLINE_EXCEEDED -> HttpStatus.GATEWAY_TIMEOUT;
      case INVALID_ARGUMENT -> HttpStatus.BAD_REQUEST;
      case NOT_FOUND -> HttpStatus.NOT_FOUND;
      case RESOURCE_EXHAUSTED, BULKHEAD_FULL -> HttpStatus.TOO_MANY_REQUESTS;
      default -> HttpStatus.SERVICE_UNAVAILABLE;
    };
    return ResponseEntity.status(status).body(Map.of("error", e.errorType().tagValue(), "retryable", e.retryable()));
  }

  @ExceptionHandler(BadRequest.class)
  ResponseEntity<Map<String, Object>> badRequest(BadRequest e) {
    return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
  }
}
