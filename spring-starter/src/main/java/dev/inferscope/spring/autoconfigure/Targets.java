package dev.inferscope.spring.autoconfigure;

import java.net.URI;

/** Display forms of endpoint targets, without user info, query or fragment (they can hold secrets). */
final class Targets {
  private Targets() {}

  static String safe(URI uri) {
    StringBuilder sb = new StringBuilder();
    if (uri.getScheme() != null) {
      sb.append(uri.getScheme()).append("://");
    }
    if (uri.getHost() != null) {
      sb.append(uri.getHost());
      if (uri.getPort() >= 0) {
        sb.append(':').append(uri.getPort());
      }
      if (uri.getRawPath() != null) {
        sb.append(uri.getRawPath());
      }
      return sb.toString();
    }
    return uri.getScheme() == null ? "<relative>" : uri.getScheme() + ":<opaque>";
  }

  static String safe(String grpcTarget) {
    int at = grpcTarget.lastIndexOf('@');
    String t = at >= 0 ? grpcTarget.substring(at + 1) : grpcTarget;
    int q = t.indexOf('?');
    return q >= 0 ? t.substring(0, q) : t;
  }
}
