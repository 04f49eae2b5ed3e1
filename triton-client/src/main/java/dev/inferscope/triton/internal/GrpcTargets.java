package dev.inferscope.triton.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * gRPC target strings as grpc-java reads them ({@code ManagedChannelBuilder.forTarget}: a URI with a
 * name-resolver scheme such as {@code dns:///triton:8001}, {@code dns://8.8.8.8/triton:8001},
 * {@code unix:/run/triton.sock}, {@code xds:///triton}, or a bare authority {@code host:port}), and the
 * {@code server.address} / {@code server.port} telemetry gets from them. Internal API: not for use
 * outside Inferscope, may change without notice.
 */
public final class GrpcTargets {
  /** Triton's gRPC port, used for a bare host without one. */
  public static final int DEFAULT_PORT = 8001;

  /** A scheme followed by a slash, or {@code unix:}: what grpc-java hands to a name resolver. */
  private static final Pattern RESOLVER_URI = Pattern.compile("^(?:[a-zA-Z][a-zA-Z0-9+.\\-]*:/|unix:|unix-abstract:).*");

  private GrpcTargets() {}

  /** The address and port that telemetry reports for a target; port {@code -1} when the target names none. */
  public record Endpoint(String host, int port) {}

  /**
   * The target to give grpc-java: a bare host gets Triton's port ({@value #DEFAULT_PORT}), anything else
   * is passed as written.
   *
   * @throws IllegalArgumentException for an empty target or a bare authority with a bad port
   */
  public static String channelTarget(String target) {
    if (target.isBlank()) {
      throw new IllegalArgumentException("target must not be empty");
    }
    if (RESOLVER_URI.matcher(target).matches()) {
      return target;
    }
    Endpoint e = authority(target, "target " + target);
    return e.port() < 0 ? hostPort(e.host(), DEFAULT_PORT) : target;
  }

  /** What telemetry reports for {@code target}. */
  public static Endpoint endpoint(String target) {
    if (!RESOLVER_URI.matcher(target).matches()) {
      Endpoint e = authority(target, "target " + target);
      return e.port() < 0 ? new Endpoint(e.host(), DEFAULT_PORT) : e;
    }
    if (target.startsWith("unix:") || target.startsWith("unix-abstract:")) {
      // OpenTelemetry's server.address for a Unix domain socket is its path; there is no port.
      String path = target.substring(target.indexOf(':') + 1);
      while (path.startsWith("//")) {
        path = path.substring(1);
      }
      return new Endpoint(path, -1);
    }
    try {
      URI uri = new URI(target);
      String path = uri.getPath() == null ? "" : uri.getPath();
      String name = path.startsWith("/") ? path.substring(1) : path;
      if (name.isEmpty()) {
        name = uri.getAuthority() == null ? target : uri.getAuthority();
      }
      return authority(name, "target " + target);
    } catch (URISyntaxException | IllegalArgumentException e) {
      return new Endpoint(target, -1);
    }
  }

  /** {@code host}, {@code host:port}, {@code [v6]}, {@code [v6]:port}. */
  public static Endpoint authority(String authority, String what) {
    String host = authority;
    String port = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(what + ": unclosed '[' in an IPv6 address");
      }
      host = authority.substring(1, close);
      if (close + 1 < authority.length()) {
        if (authority.charAt(close + 1) != ':') {
          throw new IllegalArgumentException(what + ": expected ':' after the IPv6 address");
        }
        port = authority.substring(close + 2);
      }
    } else {
      int colon = authority.lastIndexOf(':');
      if (colon >= 0 && authority.indexOf(':') == colon) {
        host = authority.substring(0, colon);
        port = authority.substring(colon + 1);
      }
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException(what + ": no host");
    }
    return new Endpoint(host, port == null ? -1 : parsePort(port, what));
  }

  private static int parsePort(String port, String what) {
    try {
      return dev.inferscope.core.internal.Settings.port(what, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": the port is not a number", e);
    }
  }

  private static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** The endpoint of a channel's authority ({@code Channel.authority()}), or {@code null} if it has none. */
  public static @Nullable Endpoint ofAuthority(@Nullable String authority) {
    if (authority == null || authority.isEmpty()) {
      return null;
    }
    try {
      return authority(authority, "authority " + authority);
    } catch (IllegalArgumentException e) {
      return new Endpoint(authority, -1);
    }
  }
}
