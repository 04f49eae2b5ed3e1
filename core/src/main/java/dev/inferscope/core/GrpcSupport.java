package dev.inferscope.core;

import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Bridges to grpc-java, which is an optional dependency of core: every method checks that grpc-api is
 * present before touching it.
 */
public final class GrpcSupport {
  private static final boolean GRPC_PRESENT = isPresent();

  private GrpcSupport() {}

  private static boolean isPresent() {
    try {
      Class.forName("io.grpc.Context", false, GrpcSupport.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Whether grpc-api is on the class path. */
  public static boolean grpcPresent() {
    return GRPC_PRESENT;
  }

  static @Nullable Deadline currentContextDeadline(InferenceClock clock) {
    if (!GRPC_PRESENT) {
      return null;
    }
    return Bridge.currentContextDeadline(clock);
  }

  /**
   * Converts an Inferscope deadline into a grpc-java {@code io.grpc.Deadline} with the same remaining
   * time. Requires grpc-api on the class path.
   */
  public static io.grpc.Deadline toGrpcDeadline(Deadline deadline) {
    return io.grpc.Deadline.after(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
  }

  private static final class Bridge {
    static @Nullable Deadline currentContextDeadline(InferenceClock clock) {
      io.grpc.Deadline d = io.grpc.Context.current().getDeadline();
      if (d == null) {
        return null;
      }
      return Deadline.after(java.time.Duration.ofNanos(d.timeRemaining(TimeUnit.NANOSECONDS)), clock);
    }
  }
}
