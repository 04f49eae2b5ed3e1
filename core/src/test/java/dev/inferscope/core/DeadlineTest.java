package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeadlineTest {
  private final FakeClock clock = new FakeClock();

  @Test
  void remainingShrinksWithTheClockAndExpires() {
    Deadline d = Deadline.after(Duration.ofMillis(500), clock);
    assertThat(d.remaining()).isEqualTo(Duration.ofMillis(500));
    assertThat(d.toMicros()).isEqualTo(500_000);
    clock.advance(Duration.ofMillis(200));
    assertThat(d.remainingNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
    assertThat(d.toHttpTimeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(d.isExpired()).isFalse();
    clock.advance(Duration.ofMillis(300));
    assertThat(d.isExpired()).isTrue();
    assertThat(d.remaining()).isEqualTo(Duration.ZERO);
    assertThat(d.toMicros()).isZero();
    assertThat(d.toHttpTimeout()).isEqualTo(Duration.ofMillis(1));
    assertThatThrownBy(() -> d.check("while queued"))
        .isInstanceOf(InferenceException.class)
        .satisfies(e -> assertThat(((InferenceException) e).errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED));
  }

  @Test
  void hugeTimeoutsSaturateInsteadOfOverflowing() {
    Deadline d = Deadline.after(Duration.ofSeconds(Long.MAX_VALUE), clock);
    assertThat(d.isExpired()).isFalse();
    assertThat(d.remainingNanos()).isPositive();
  }

  @Test
  void resolvePrefersExplicitThenEarliestOfGrpcContextAndDefault() throws Exception {
    Deadline explicit = Deadline.after(Duration.ofSeconds(9), clock);
    assertThat(Deadline.resolve(explicit, Duration.ofSeconds(1), clock)).isSameAs(explicit);
    assertThat(Deadline.resolve(null, null, clock)).isNull();
    assertThat(Deadline.resolve(null, Duration.ofSeconds(2), clock).remaining()).isEqualTo(Duration.ofSeconds(2));

    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      Context.CancellableContext ctx = Context.current()
          .withDeadlineAfter(300, TimeUnit.MILLISECONDS, scheduler);
      try {
        Deadline fromContext = ctx.call(() -> Deadline.resolve(null, Duration.ofSeconds(5), clock));
        assertThat(fromContext.remaining()).isLessThanOrEqualTo(Duration.ofMillis(300))
            .isGreaterThan(Duration.ofMillis(100));
        Deadline fromDefault = ctx.call(() -> Deadline.resolve(null, Duration.ofMillis(50), clock));
        assertThat(fromDefault.remaining()).isEqualTo(Duration.ofMillis(50));
      } finally {
        ctx.cancel(null);
      }
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void convertsToGrpcDeadline() {
    Deadline d = Deadline.after(Duration.ofSeconds(3));
    long remaining = GrpcSupport.toGrpcDeadline(d).timeRemaining(TimeUnit.MILLISECONDS);
    assertThat(remaining).isBetween(2_000L, 3_000L);
    assertThat(GrpcSupport.grpcPresent()).isTrue();
  }
}
