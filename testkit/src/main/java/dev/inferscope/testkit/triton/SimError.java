package dev.inferscope.testkit.triton;

import io.grpc.Status;

/**
 * Thrown inside the simulator to answer with an error: the gRPC status and the HTTP status Triton's
 * frontends would use (triton-inference-server/server src/grpc and src/http_server.cc map one
 * TRITONSERVER_Error to both); an HTTP status below 0 drops the connection without an answer.
 */
final class SimError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final Status status;
  final int http;

  SimError(Status status, int http, String message) {
    super(message, null, false, false);
    this.status = status.withDescription(message);
    this.http = http;
  }
}
