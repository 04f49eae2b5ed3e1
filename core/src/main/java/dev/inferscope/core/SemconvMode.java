package dev.inferscope.core;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Which names Inferscope writes where the OpenTelemetry semantic conventions renamed attributes, in the
 * style of OpenTelemetry's {@code OTEL_SEMCONV_STABILITY_OPT_IN}: the old names, the current ones, or both
 * during a migration.
 *
 * <p>For gRPC spans (open-telemetry/semantic-conventions v1.44.0, {@code model/rpc/registry.yaml} and
 * {@code model/rpc/deprecated/registry-deprecated.yaml}): current — {@code rpc.system.name=grpc}, a
 * fully-qualified {@code rpc.method} ({@code inference.GRPCInferenceService/ModelInfer}) and the status name
 * in {@code rpc.response.status_code} ({@code OK}, {@code DEADLINE_EXCEEDED}); old — {@code rpc.system},
 * {@code rpc.service}, the bare {@code rpc.method} and the numeric {@code rpc.grpc.status_code}. In
 * {@link #DUP} both are written, except that {@code rpc.method}, one key in both, takes the current,
 * fully-qualified value. For the GPU on a span ({@code model/hardware/registry.yaml}): current
 * {@code hw.id}, old {@code hw.gpu.id}.
 */
public enum SemconvMode {
  /** The names before the migration. */
  OLD,
  /** The current names (the default). */
  NEW,
  /** Both, while dashboards and queries move. */
  DUP;

  /** Whether the old names are written. */
  public boolean old() {
    return this != NEW;
  }

  /** Whether the current names are written. */
  public boolean current() {
    return this != OLD;
  }

  /**
   * The mode for RPC and hardware names from the environment: the system property
   * {@code inferscope.semconv.rpc} ({@code old}, {@code new}, {@code dup}) wins; else
   * {@code otel.semconv-stability.opt-in} or {@code OTEL_SEMCONV_STABILITY_OPT_IN} holding {@code rpc/dup}
   * gives {@link #DUP} and {@code rpc} gives {@link #NEW}; else {@link #NEW}.
   */
  public static SemconvMode rpcFromEnvironment() {
    return rpc(System.getProperty("inferscope.semconv.rpc"),
        firstNonNull(System.getProperty("otel.semconv-stability.opt-in"), System.getenv("OTEL_SEMCONV_STABILITY_OPT_IN")));
  }

  static SemconvMode rpc(@Nullable String explicit, @Nullable String optIn) {
    if (explicit != null && !explicit.isBlank()) {
      switch (explicit.trim().toLowerCase(Locale.ROOT)) {
        case "old":
          return OLD;
        case "dup":
          return DUP;
        case "new":
          return NEW;
        default:
          throw new IllegalArgumentException("inferscope.semconv.rpc must be old, new or dup, not " + explicit);
      }
    }
    if (optIn != null) {
      for (String token : optIn.split(",")) {
        String t = token.trim().toLowerCase(Locale.ROOT);
        if (t.equals("rpc/dup")) {
          return DUP;
        }
      }
    }
    return NEW;
  }

  private static @Nullable String firstNonNull(@Nullable String a, @Nullable String b) {
    return a != null ? a : b;
  }

  /** The gRPC status name of a numeric code ({@code 0} {@code OK} ... {@code 16} {@code UNAUTHENTICATED}). */
  static String grpcStatusName(int code) {
    return code >= 0 && code < GRPC_STATUS.length ? GRPC_STATUS[code] : "_OTHER";
  }

  // grpc/grpc doc/statuscodes.md: the codes 0..16
  private static final String[] GRPC_STATUS = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
}
