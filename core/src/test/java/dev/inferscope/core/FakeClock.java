package dev.inferscope.core;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock for tests: time moves only when told to, or when someone sleeps on it. */
final class FakeClock implements InferenceClock {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final long epochOffset = 1_700_000_000_000_000_000L;

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public long epochNanos() {
    return epochOffset + nanos.get();
  }

  @Override
  public void sleepNanos(long n) {
    if (n > 0) {
      nanos.addAndGet(n);
    }
  }

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }
}
