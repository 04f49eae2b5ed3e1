package dev.inferscope.core.internal;

import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The network round trip to one server, measured with a cheap periodic call on the same connection
 * pool or channel (vLLM and llama.cpp {@code /health}, Triton {@code ServerLive} or
 * {@code /v2/health/live}) and kept as a robust windowed baseline: the lower quartile of the last
 * {@value #WINDOW} samples, so a probe delayed by a busy server or a fresh connection's handshake does
 * not move it. Server-timing estimates subtract it from a call's total to keep their error out of
 * NETWORK.
 *
 * <p>Probes are never inference calls: they make no span, meter or log line. Thread-safe.
 * Internal API: not for use outside Inferscope, may change without notice.
 */
public final class RoundTripBaseline implements AutoCloseable {
  /** Samples kept. */
  public static final int WINDOW = 32;
  /** Probes sent quickly one after another at the start, so a baseline exists before the first calls. */
  private static final int WARM_UP = 8;
  private static final long WARM_UP_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
  private static final long FILL_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** One probe: sends it and calls {@code done} with its round trip in nanoseconds, or -1 on failure. */
  @FunctionalInterface
  public interface Probe {
    void send(LongConsumer done);
  }

  private final long[] samples = new long[WINDOW];
  private int count;
  private int next;
  private long baseline = -1;
  private int attempts;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile @Nullable ScheduledFuture<?> task;

  /** A baseline fed by hand ({@link #record}); for tests and for clients that measure it themselves. */
  public RoundTripBaseline() {}

  /**
   * Starts probing on {@code scheduler}: {@value #WARM_UP} probes 25 ms apart, then one a second (or
   * every {@code intervalNanos} if shorter) until {@value #WINDOW} have been sent, then one every
   * {@code intervalNanos}. One probe is in flight at a time. {@link #close()} stops it.
   */
  public static RoundTripBaseline probing(ScheduledExecutorService scheduler, long intervalNanos, Probe probe) {
    RoundTripBaseline b = new RoundTripBaseline();
    b.schedule(scheduler, 0, intervalNanos, probe);
    return b;
  }

  private void schedule(ScheduledExecutorService scheduler, long delayNanos, long intervalNanos, Probe probe) {
    if (closed.get()) {
      return;
    }
    try {
      task = scheduler.schedule(() -> run(scheduler, intervalNanos, probe), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RuntimeException rejected) {
      // the scheduler is shutting down with its client
    }
  }

  private void run(ScheduledExecutorService scheduler, long intervalNanos, Probe probe) {
    Consumer<Long> after = rtt -> {
      if (rtt >= 0) {
        record(rtt);
      }
      int tried;
      synchronized (this) {
        tried = ++attempts;
      }
      // The quick warm-up counts attempts, not successes: a server that is down is asked once an interval.
      // Its probes run while the JVM and the connection are cold, so until the window has been filled once
      // probes come at least once a second: the lower quartile then comes from warm probes within ~30 s.
      long gap = tried < WARM_UP ? WARM_UP_GAP_NANOS
          : tried < WINDOW ? Math.min(intervalNanos, FILL_GAP_NANOS) : intervalNanos;
      schedule(scheduler, gap, intervalNanos, probe);
    };
    AtomicBoolean once = new AtomicBoolean();
    try {
      probe.send(rtt -> {
        if (once.compareAndSet(false, true)) {
          after.accept(rtt);
        }
      });
    } catch (RuntimeException e) {
      if (once.compareAndSet(false, true)) {
        after.accept(-1L);
      }
    }
  }

  /**
   * Checks a client builder's probe interval: zero (off) or at least 100 ms.
   *
   * @throws IllegalArgumentException when it is negative or below 100 ms
   */
  public static java.time.Duration checkInterval(java.time.Duration interval) {
    Settings.nonNegative("roundTripProbeInterval", interval);
    if (!interval.isZero() && interval.compareTo(java.time.Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("roundTripProbeInterval must be zero (off) or at least 100 ms: " + interval);
    }
    return interval;
  }

  /** Adds one measured round trip. */
  public synchronized void record(long nanos) {
    if (nanos < 0) {
      return;
    }
    samples[next] = nanos;
    next = (next + 1) % WINDOW;
    count = Math.min(count + 1, WINDOW);
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    baseline = sorted[(count - 1) / 4];
  }

  /** The baseline round trip in nanoseconds, or -1 while no probe has succeeded. */
  public synchronized long nanos() {
    return baseline;
  }

  /** Samples in the window. */
  public synchronized int samples() {
    return count;
  }

  @Override
  public void close() {
    closed.set(true);
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }
}
