package dev.inferscope.testkit;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

/** Waiting in tests for a value that a background thread sets (e.g. a client's first round trip). */
public final class Eventually {
  private Eventually() {}

  /**
   * Reads {@code value} every 5 ms until {@code done} accepts it or {@code timeout} passes; returns the
   * last value read (the caller asserts on it).
   */
  public static long value(LongSupplier value, LongPredicate done, Duration timeout) throws InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    long v = value.getAsLong();
    while (!done.test(v) && System.nanoTime() < until) {
      TimeUnit.MILLISECONDS.sleep(5);
      v = value.getAsLong();
    }
    return v;
  }
}
