package dev.inferscope.triton;

import dev.inferscope.core.InferenceClock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Estimates server queue and compute time per request from Triton's cumulative model statistics: at each
 * interval it reads {@code ModelStatistics} and divides the growth of queue and compute nanoseconds by
 * the growth of the request count. Triton reports no per-request timing, so calls get these interval
 * averages as their SERVER_QUEUE and SERVER_COMPUTE, marked {@code statistics} (estimated).
 *
 * <p>Feeds the gauges {@code inference.server.queue.time} and {@code inference.server.compute.time}
 * (seconds; tags system, model, endpoint) when a registry is given. Thread-safe; {@link #close()} stops
 * its thread.
 */
public final class ModelStatisticsPoller implements AutoCloseable {

  /**
   * One interval's averages.
   *
   * @param queueNanos mean queue time per request
   * @param computeNanos mean compute time per request (input + infer + output)
   * @param requests requests completed in the interval
   * @param atNanos when it was computed, on the poller's clock
   */
  public record Estimate(long queueNanos, long computeNanos, long requests, long atNanos) {}

  private final Function<String, List<ModelStats>> source;
  private final List<String> models;
  private final InferenceClock clock;
  private final Duration interval;
  private final Map<String, ModelStats> last = new ConcurrentHashMap<>();
  private final Map<String, Estimate> estimates = new ConcurrentHashMap<>();
  private final @Nullable ScheduledExecutorService scheduler;

  ModelStatisticsPoller(Function<String, List<ModelStats>> source, List<String> models, Duration interval,
      InferenceClock clock, @Nullable MeterRegistry registry, String endpoint, boolean background) {
    this.source = source;
    this.models = List.copyOf(models);
    this.clock = clock;
    this.interval = interval;
    if (registry != null) {
      for (String m : models) {
        Gauge.builder("inference.server.queue.time", this, p -> seconds(p.estimates.get(m), true))
            .description("Mean server queue time per request over the last statistics interval")
            .baseUnit("seconds").tags("system", "triton", "model", m, "endpoint", endpoint).register(registry);
        Gauge.builder("inference.server.compute.time", this, p -> seconds(p.estimates.get(m), false))
            .description("Mean server compute time per request over the last statistics interval")
            .baseUnit("seconds").tags("system", "triton", "model", m, "endpoint", endpoint).register(registry);
      }
    }
    if (background) {
      this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "inferscope-triton-statistics");
        t.setDaemon(true);
        return t;
      });
      scheduler.scheduleWithFixedDelay(this::pollQuietly, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    } else {
      this.scheduler = null;
    }
  }

  private static double seconds(@Nullable Estimate e, boolean queue) {
    return e == null ? Double.NaN : (queue ? e.queueNanos() : e.computeNanos()) / 1e9;
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      // a failed poll keeps the previous estimate; it ages out
    }
  }

  /** Reads statistics now and updates the estimates; returns them. */
  public Map<String, Estimate> poll() {
    for (String m : models) {
      for (ModelStats s : source.apply(m)) {
        ModelStats prev = last.put(s.model(), s);
        if (prev != null && s.successCount() > prev.successCount()) {
          long n = s.successCount() - prev.successCount();
          estimates.put(s.model(), new Estimate((s.queueNanos() - prev.queueNanos()) / n,
              (s.computeNanos() - prev.computeNanos()) / n, n, clock.nanoTime()));
        }
      }
    }
    return Map.copyOf(estimates);
  }

  private final java.util.concurrent.atomic.AtomicLong lastEarlyPoll = new java.util.concurrent.atomic.AtomicLong();

  /**
   * Asks for a poll now, in the background, when a call ended without an estimate (the first interval
   * after start): the next calls then have one instead of waiting a whole interval. At most one such poll
   * per 50 ms; nothing when polling is on demand.
   */
  void pollSoon() {
    if (scheduler == null) {
      return;
    }
    long now = clock.nanoTime();
    long last = lastEarlyPoll.get();
    if (now - last < TimeUnit.MILLISECONDS.toNanos(50) && last != 0) {
      return;
    }
    if (lastEarlyPoll.compareAndSet(last, now)) {
      try {
        scheduler.execute(this::pollQuietly);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        // closed with its client
      }
    }
  }

  /**
   * The latest estimate of a model for its mean compute per request, which is stable from one interval to
   * the next: kept for a minute (or twenty intervals, if longer) after the last interval with requests, so
   * a model that was idle for a while still has one. {@code null} when there is none that recent.
   */
  public @Nullable Estimate computeEstimate(String model) {
    Estimate e = estimates.get(model);
    long keep = Math.max(TimeUnit.MINUTES.toNanos(1), 20 * interval.toNanos());
    if (e == null || clock.nanoTime() - e.atNanos() > keep) {
      return null;
    }
    return e;
  }

  /** The latest estimate of a model, or {@code null} when none is fresh (older than three intervals). */
  public @Nullable Estimate estimate(String model) {
    Estimate e = estimates.get(model);
    if (e == null || clock.nanoTime() - e.atNanos() > 3 * interval.toNanos()) {
      return null;
    }
    return e;
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
