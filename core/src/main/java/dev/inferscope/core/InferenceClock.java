package dev.inferscope.core;

import java.util.concurrent.TimeUnit;

/**
 * The time source of the telemetry engine, deadlines and retries. The system clock in production; a
 * fake one in tests, so that deadline and backoff behaviour can be checked without sleeping.
 */
public interface InferenceClock {

  /** Monotonic nanoseconds, for durations and deadlines. */
  long nanoTime();

  /** Wall-clock time in nanoseconds since the epoch, for span timestamps and log lines. */
  long epochNanos();

  /**
   * Waits for {@code nanos} (used for retry backoff). A fake clock advances itself instead of
   * blocking.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void sleepNanos(long nanos) throws InterruptedException;

  /** The system clock: {@link System#nanoTime()}, {@link System#currentTimeMillis()} and sleeping. */
  static InferenceClock system() {
    return SystemClock.INSTANCE;
  }

  /** The clock backed by the JVM. */
  final class SystemClock implements InferenceClock {
    static final SystemClock INSTANCE = new SystemClock();

    private SystemClock() {}

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public long epochNanos() {
      java.time.Instant now = java.time.Instant.now();
      return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }

    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
      if (nanos > 0) {
        TimeUnit.NANOSECONDS.sleep(nanos);
      }
    }
  }
}
