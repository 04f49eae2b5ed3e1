package dev.inferscope.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An absolute point on the monotonic clock by which a call must be done: the call's whole budget.
 * Retries, backoff waits and stream waits all draw from the same deadline.
 *
 * <p>Immutable and thread-safe. Use {@link #resolve} to pick the deadline of a call from an explicit
 * argument, the current gRPC {@code Context} (when grpc-api is on the class path) or a client default.
 */
public final class Deadline implements Comparable<Deadline> {
  private final InferenceClock clock;
  private final long deadlineNanos;

  private Deadline(InferenceClock clock, long deadlineNanos) {
    this.clock = clock;
    this.deadlineNanos = deadlineNanos;
  }

  /** A deadline {@code timeout} from now on the system clock. */
  public static Deadline after(Duration timeout) {
    return after(timeout, InferenceClock.system());
  }

  /** A deadline {@code timeout} from now on {@code clock}. */
  public static Deadline after(Duration timeout, InferenceClock clock) {
    Objects.requireNonNull(timeout, "timeout");
    long now = clock.nanoTime();
    return new Deadline(clock, saturatedAdd(now, saturatedNanos(timeout)));
  }

  /**
   * The deadline a call should use: {@code explicit} if given; else the deadline of the current gRPC
   * {@code Context} if grpc-api is present and one is set; else {@code clientDefault} from now; else
   * none ({@code null}). When both the gRPC context and the client default apply, the earlier wins.
   */
  public static @Nullable Deadline resolve(
      @Nullable Deadline explicit, @Nullable Duration clientDefault, InferenceClock clock) {
    if (explicit != null) {
      return explicit;
    }
    Deadline fromContext = GrpcSupport.currentContextDeadline(clock);
    Deadline fromDefault = clientDefault == null ? null : after(clientDefault, clock);
    if (fromContext == null) {
      return fromDefault;
    }
    if (fromDefault == null) {
      return fromContext;
    }
    return fromContext.compareTo(fromDefault) <= 0 ? fromContext : fromDefault;
  }

  /** Time left, in nanoseconds; zero or negative once expired. */
  public long remainingNanos() {
    return deadlineNanos - clock.nanoTime();
  }

  /** Time left; {@link Duration#ZERO} once expired. */
  public Duration remaining() {
    long r = remainingNanos();
    return r <= 0 ? Duration.ZERO : Duration.ofNanos(r);
  }

  /** Whether the deadline has passed. */
  public boolean isExpired() {
    return remainingNanos() <= 0;
  }

  /** The remaining time as an HTTP request timeout (at least one millisecond, so a client accepts it). */
  public Duration toHttpTimeout() {
    long r = remainingNanos();
    return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), r));
  }

  /** The remaining time in whole microseconds (Triton's {@code timeout} parameter); never negative. */
  public long toMicros() {
    return Math.max(0, TimeUnit.NANOSECONDS.toMicros(remainingNanos()));
  }

  /** The clock this deadline is measured on. */
  public InferenceClock clock() {
    return clock;
  }

  /** The earlier of this deadline and {@code other}. */
  public Deadline minimum(@Nullable Deadline other) {
    return other == null || compareTo(other) <= 0 ? this : other;
  }

  /** Throws {@link ErrorType#DEADLINE_EXCEEDED} if the deadline has passed. */
  public void check(String what) {
    if (isExpired()) {
      throw InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline expired " + what);
    }
  }

  @Override
  public int compareTo(Deadline other) {
    return Long.signum(deadlineNanos - other.deadlineNanos);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Deadline d && d.deadlineNanos == deadlineNanos && d.clock == clock;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(deadlineNanos);
  }

  @Override
  public String toString() {
    return "Deadline[remaining=" + remaining() + "]";
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE / 2 : Long.MAX_VALUE / 2;
    }
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return b > 0 ? Long.MAX_VALUE / 2 : Long.MIN_VALUE / 2;
    }
    return r;
  }
}
