package dev.inferscope.core.slo;

import dev.inferscope.core.CallListener;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.Outcome;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Tracks availability and latency SLOs per endpoint and model from every ended call, with multi-window
 * burn rates (5 m / 1 h for fast burn at 14.4×, 30 m / 6 h for slow burn at 6×, the usual pairs for a
 * 30-day budget).
 *
 * <p>Memory is bounded: each endpoint and model keeps a ring of 720 buckets of 30 s (6 h). Failures
 * count against availability when they are the server's or the network's (unavailable, deadline,
 * resource exhausted, internal, protocol, unknown, circuit open); caller errors (invalid argument, not
 * found, unauthenticated) and cancellations do not. Successful calls slower than the threshold count
 * against latency. Register it with {@code InferenceTelemetry.builder().addListener(tracker)}.
 *
 * <p>Gauges (after {@link #bindTo}): {@code inference.slo.error_budget.remaining} (endpoint, model,
 * slo) and {@code inference.slo.burn_rate} (endpoint, model, slo, window).
 */
public final class SloTracker implements CallListener {
  static final long BUCKET_NANOS = TimeUnit.SECONDS.toNanos(30);
  static final int BUCKETS = 720;
  /** Window names and their length in buckets. */
  static final Map<String, Integer> WINDOWS;

  static {
    Map<String, Integer> w = new LinkedHashMap<>();
    w.put("5m", 10);
    w.put("30m", 60);
    w.put("1h", 120);
    w.put("6h", 720);
    WINDOWS = java.util.Collections.unmodifiableMap(w);
  }

  private final InferenceClock clock;
  private final SloObjective defaults;
  private final Map<String, SloObjective> objectives;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();
  private final long startNanos;
  private volatile @Nullable MeterRegistry registry;

  private SloTracker(Builder b) {
    this.clock = b.clock;
    this.defaults = b.defaults;
    this.objectives = Map.copyOf(b.objectives);
    this.startNanos = clock.nanoTime();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void onCallEnd(CallRecord r) {
    String endpoint = r.descriptor().endpoint();
    String model = r.descriptor().model();
    Window w = window(endpoint, model);
    boolean counted = r.outcome() != Outcome.CANCELLED;
    if (!counted) {
      return;
    }
    boolean failed = r.errorType() != null && countsAgainstAvailability(r.errorType());
    boolean slow = r.outcome() == Outcome.SUCCESS && r.durationNanos() > w.objective.latencyThreshold().toNanos();
    w.add(bucket(), failed, slow);
  }

  static boolean countsAgainstAvailability(ErrorType t) {
    return switch (t) {
      case INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED, CANCELLED -> false;
      default -> true;
    };
  }

  private long bucket() {
    return Math.floorDiv(clock.nanoTime() - startNanos, BUCKET_NANOS);
  }

  private Window window(String endpoint, String model) {
    String key = endpoint + "\u0000" + model;
    Window w = windows.get(key);
    if (w == null) {
      SloObjective o = objectives.getOrDefault(endpoint + "/" + model, objectives.getOrDefault(endpoint, defaults));
      w = windows.computeIfAbsent(key, k -> new Window(o));
      if (w.registered.compareAndSet(false, true)) {
        MeterRegistry reg = registry;
        if (reg != null) {
          register(reg, endpoint, model);
        }
      }
    }
    return w;
  }

  /** Where an endpoint and model stand now. */
  public SloStatus status(String endpoint, String model) {
    Window w = windows.get(endpoint + "\u0000" + model);
    if (w == null) {
      return new SloStatus(Map.of(), Map.of(), 1.0, 1.0, false, false, 0);
    }
    return w.status(bucket());
  }

  /** Whether any endpoint and model is burning its budget fast. */
  public boolean anyFastBurn() {
    long b = bucket();
    for (Window w : windows.values()) {
      if (w.status(b).fastBurn()) {
        return true;
      }
    }
    return false;
  }

  /** Every endpoint/model key ({@code endpoint/model}) with its status. */
  public Map<String, SloStatus> statuses() {
    Map<String, SloStatus> out = new LinkedHashMap<>();
    long b = bucket();
    windows.forEach((k, w) -> out.put(k.replace('\u0000', '/'), w.status(b)));
    return out;
  }

  /** Registers the SLO gauges (for keys seen so far and every later one). */
  public void bindTo(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    windows.forEach((k, w) -> {
      int sep = k.indexOf('\u0000');
      register(registry, k.substring(0, sep), k.substring(sep + 1));
    });
  }

  private void register(MeterRegistry reg, String endpoint, String model) {
    for (String slo : new String[] {"availability", "latency"}) {
      boolean availability = slo.equals("availability");
      Gauge.builder("inference.slo.error_budget.remaining", this, t -> {
            SloStatus s = t.status(endpoint, model);
            return availability ? s.availabilityBudgetRemaining() : s.latencyBudgetRemaining();
          })
          .description("Share of the error budget left over the 6 h window")
          .tags("endpoint", endpoint, "model", model, "slo", slo)
          .register(reg);
      for (String window : WINDOWS.keySet()) {
        Gauge.builder("inference.slo.burn_rate", this, t -> {
              SloStatus s = t.status(endpoint, model);
              Double v = (availability ? s.availabilityBurn() : s.latencyBurn()).get(window);
              return v == null ? 0 : v;
            })
            .description("Error budget burn rate over the window (1 = spending exactly the budget)")
            .tags("endpoint", endpoint, "model", model, "slo", slo, "window", window)
            .register(reg);
      }
    }
  }

  /** A ring of 30 s buckets over 6 h. */
  private static final class Window {
    final SloObjective objective;
    final long[] ids = new long[BUCKETS];
    final long[] total = new long[BUCKETS];
    final long[] failed = new long[BUCKETS];
    final long[] slow = new long[BUCKETS];
    final java.util.concurrent.atomic.AtomicBoolean registered = new java.util.concurrent.atomic.AtomicBoolean();

    Window(SloObjective objective) {
      this.objective = objective;
      java.util.Arrays.fill(ids, Long.MIN_VALUE);
    }

    synchronized void add(long bucket, boolean isFailed, boolean isSlow) {
      int i = (int) Math.floorMod(bucket, (long) BUCKETS);
      if (ids[i] != bucket) {
        ids[i] = bucket;
        total[i] = 0;
        failed[i] = 0;
        slow[i] = 0;
      }
      total[i]++;
      if (isFailed) {
        failed[i]++;
      }
      if (isSlow) {
        slow[i]++;
      }
    }

    synchronized SloStatus status(long now) {
      Map<String, Double> availability = new LinkedHashMap<>();
      Map<String, Double> latency = new LinkedHashMap<>();
      long calls6h = 0;
      double availBudget = 1;
      double latBudget = 1;
      for (Map.Entry<String, Integer> w : WINDOWS.entrySet()) {
        long t = 0;
        long f = 0;
        long s = 0;
        for (int k = 0; k < w.getValue(); k++) {
          long b = now - k;
          int i = (int) Math.floorMod(b, (long) BUCKETS);
          if (ids[i] == b) {
            t += total[i];
            f += failed[i];
            s += slow[i];
          }
        }
        double aBurn = t == 0 ? 0 : ((double) f / t) / (1 - objective.availability());
        double lBurn = t == 0 ? 0 : ((double) s / t) / (1 - objective.latency());
        availability.put(w.getKey(), aBurn);
        latency.put(w.getKey(), lBurn);
        if (w.getKey().equals("6h")) {
          calls6h = t;
          availBudget = 1 - aBurn;
          latBudget = 1 - lBurn;
        }
      }
      boolean fast = (availability.get("5m") >= 14.4 && availability.get("1h") >= 14.4)
          || (latency.get("5m") >= 14.4 && latency.get("1h") >= 14.4);
      boolean slowBurn = (availability.get("30m") >= 6 && availability.get("6h") >= 6)
          || (latency.get("30m") >= 6 && latency.get("6h") >= 6);
      return new SloStatus(availability, latency, availBudget, latBudget, fast, slowBurn, calls6h);
    }
  }

  /** Builds an {@link SloTracker}. */
  public static final class Builder {
    private InferenceClock clock = InferenceClock.system();
    private SloObjective defaults = SloObjective.defaults();
    private final Map<String, SloObjective> objectives = new LinkedHashMap<>();

    private Builder() {}

    public Builder clock(InferenceClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The objective of every endpoint and model without one of its own. */
    public Builder defaultObjective(SloObjective objective) {
      this.defaults = Objects.requireNonNull(objective, "objective");
      return this;
    }

    /** The objective of one endpoint ({@code "llm"}) or one endpoint and model ({@code "llm/llama"}). */
    public Builder objective(String endpointOrEndpointAndModel, SloObjective objective) {
      objectives.put(endpointOrEndpointAndModel, Objects.requireNonNull(objective, "objective"));
      return this;
    }

    public SloTracker build() {
      return new SloTracker(this);
    }
  }
}
