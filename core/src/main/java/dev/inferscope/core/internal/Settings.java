package dev.inferscope.core.internal;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Checks builder settings once, at build time, so that an impossible value fails with an
 * {@link IllegalArgumentException} naming the setting instead of misbehaving inside a call (a
 * {@code Duration} too long for nanoseconds, a size whose {@code + 1} overflows, a header name with a
 * space). Internal API: not for use outside Inferscope, may change without notice.
 */
public final class Settings {
  /**
   * The longest duration accepted for timeouts and intervals: 100 days. Longer ones mean "never" and are
   * almost always a mistake ({@code ChronoUnit.FOREVER.getDuration()} does not fit in nanoseconds).
   */
  public static final Duration MAX_DURATION = Duration.ofDays(100);

  private Settings() {}

  /** {@code value}, when it is positive and at most {@link #MAX_DURATION}. */
  public static Duration positive(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(setting + " must be positive, was " + value);
    }
    return atMostMax(setting, value);
  }

  /** {@code value}, when it is zero or positive and at most {@link #MAX_DURATION}. */
  public static Duration nonNegative(String setting, Duration value) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative()) {
      throw new IllegalArgumentException(setting + " must not be negative, was " + value);
    }
    return atMostMax(setting, value);
  }

  private static Duration atMostMax(String setting, Duration value) {
    if (value.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(setting + " must be at most " + MAX_DURATION.toDays() + " days, was "
          + (value.getSeconds() > 1_000_000_000L ? "effectively forever" : value));
    }
    return value;
  }

  /** {@code value}, when it is positive. */
  public static long positive(String setting, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(setting + " must be positive, was " + value);
    }
    return value;
  }

  /**
   * {@code name}, when it is a valid HTTP header name (an RFC 9110 token) that Inferscope does not set
   * itself per request.
   */
  public static String headerName(String setting, String name) {
    Objects.requireNonNull(name, setting);
    if (name.isEmpty()) {
      throw new IllegalArgumentException(setting + ": header name is empty");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean token = c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
      if (!token) {
        throw new IllegalArgumentException(setting + ": '" + printable(name) + "' is not a valid header name");
      }
    }
    return name;
  }

  /** {@code value}, when it holds no line break or other control character (a header value). */
  public static String headerValue(String setting, String name, String value) {
    Objects.requireNonNull(value, setting);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        // the value itself is never shown: it may be a credential
        throw new IllegalArgumentException(setting + ": the value of header " + printable(name)
            + " holds a control character");
      }
    }
    return value;
  }

  /** {@code uri}, when it is an absolute http or https URI with a host and, if given, a valid port. */
  public static URI httpUri(String setting, URI uri) {
    Objects.requireNonNull(uri, setting);
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      throw new IllegalArgumentException(setting + " must be an http or https URI, was " + shown(uri));
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException(setting + " has no host (" + shown(uri) + ")");
    }
    if (uri.getPort() > 65535) {
      throw new IllegalArgumentException(setting + " has port " + uri.getPort() + ", above 65535");
    }
    return uri;
  }

  /** {@code port}, when it is 1..65535. */
  public static int port(String setting, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(setting + ": port must be 1..65535, was " + port);
    }
    return port;
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 64; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return sb.toString();
  }

  /** A URI for a message: without user info, query or fragment (they may hold credentials). */
  private static String shown(URI uri) {
    return dev.inferscope.core.UrlSanitizer.sanitize(uri.toString());
  }
}
