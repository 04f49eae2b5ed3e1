package dev.inferscope.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that moves only when a test moves it, for code that waits on wall-clock time (for
 * example a resilience4j circuit breaker's wait in the open state, through
 * {@code CircuitBreakerConfig.custom().clock(clock)}): the test advances the clock instead of sleeping.
 * Thread-safe; {@link #withZone} views share the same time.
 */
public final class ManualClock extends Clock {
  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  /** A clock at {@code 2026-01-01T00:00:00Z}, in UTC. */
  public ManualClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
  }

  /** A clock at {@code start} in {@code zone}. */
  public ManualClock(Instant start, ZoneId zone) {
    this(new AtomicReference<>(Objects.requireNonNull(start, "start")), zone);
  }

  private ManualClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = Objects.requireNonNull(zone, "zone");
  }

  /** Moves the clock forward by {@code amount} (not negative). */
  public void advance(Duration amount) {
    if (amount.isNegative()) {
      throw new IllegalArgumentException("a clock does not go back: " + amount);
    }
    now.updateAndGet(t -> t.plus(amount));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public ManualClock withZone(ZoneId zone) {
    return new ManualClock(now, zone);
  }
}
