package dev.inferscope.examples.springapp;

/** The caller's request was malformed. */
final class BadRequest extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BadRequest(String message) {
    super(message);
  }
}
