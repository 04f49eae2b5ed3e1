package dev.inferscope.vllm;

/** The checks on a caller's request id. */
final class RequestIdCheck {
  private RequestIdCheck() {}

  static String check(String id) {
    if (id.isEmpty() || id.length() > 128) {
      throw new IllegalArgumentException("a request id is 1 to 128 characters");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException("a request id must not hold control characters");
      }
    }
    return id;
  }
}
