package dev.inferscope.spring;

import dev.inferscope.core.Phase;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Health as the client sees it, independent of what the server's readiness says: {@code DEGRADED} when
 * the error budget burns fast, the server queue is backlogged, or a circuit breaker is open. The Spring
 * {@code inference} health contributor reports it; it has no dependency on Spring's health module
 * itself.
 *
 * <p>A backlog is either a scraped server queue depth ({@value #QUEUE_DEPTH_METER}) above
 * {@link InferscopeProperties.Health#queueBacklogThreshold()}, or a median server queue time of recent
 * calls (those within {@link InferscopeProperties.Health#window()}, at least
 * {@link InferscopeProperties.Health#minCalls()} of them) above
 * {@link InferscopeProperties.Health#queueTimeThreshold()}.
 *
 * <p>Thread-safe.
 */
public final class ClientPerceivedHealth {
  /** The gauge fed by the clients' metrics scrapers. */
  public static final String QUEUE_DEPTH_METER = "inference.server.queue.depth";

  private final InferenceEndpoints endpoints;
  private final InferenceStats stats;
  private final @Nullable MeterRegistry meterRegistry;
  private final Supplier<List<String>> fastBurns;
  private final InferscopeProperties.Health settings;

  /**
   * Creates the evaluation.
   *
   * @param endpoints the configured endpoints (circuit states)
   * @param stats recent calls (server queue times)
   * @param meterRegistry where scraped queue depths are read from, or {@code null}
   * @param fastBurns the {@code endpoint/model} pairs whose error budget burns fast right now
   * @param settings the thresholds
   */
  public ClientPerceivedHealth(InferenceEndpoints endpoints, InferenceStats stats,
      @Nullable MeterRegistry meterRegistry, Supplier<List<String>> fastBurns,
      InferscopeProperties.Health settings) {
    this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
    this.stats = Objects.requireNonNull(stats, "stats");
    this.meterRegistry = meterRegistry;
    this.fastBurns = Objects.requireNonNull(fastBurns, "fastBurns");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * The result of one evaluation.
   *
   * @param degraded whether any signal tripped
   * @param reasons one short line per tripped signal (no payload)
   * @param details per endpoint and model: recent calls, median server queue time, scraped queue depth,
   *     circuit state
   */
  public record Result(boolean degraded, List<String> reasons, Map<String, Object> details) {
    /** Copies the collections. */
    public Result {
      reasons = List.copyOf(reasons);
      details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }
  }

  /** Evaluates every signal now. Never throws. */
  public Result evaluate() {
    List<String> reasons = new ArrayList<>();
    Map<String, Map<String, Map<String, Object>>> perModel = new TreeMap<>();

    // circuit breakers
    for (Map.Entry<String, Map<String, String>> e : endpoints.circuitStates().entrySet()) {
      for (Map.Entry<String, String> m : e.getValue().entrySet()) {
        detail(perModel, e.getKey(), m.getKey()).put("circuitState", m.getValue());
        if (InferenceEndpoints.degradingState(m.getValue())) {
          reasons.add("circuit " + m.getValue() + ": " + e.getKey() + "/" + m.getKey());
        }
      }
    }

    // scraped queue depth
    MeterRegistry registry = meterRegistry;
    if (registry != null) {
      for (Gauge g : registry.find(QUEUE_DEPTH_METER).gauges()) {
        String endpoint = g.getId().getTag("endpoint");
        String model = g.getId().getTag("model");
        double depth = g.value();
        if (endpoint == null || model == null || Double.isNaN(depth)) {
          continue;
        }
        detail(perModel, endpoint, model).put("serverQueueDepth", depth);
        if (depth > settings.queueBacklogThreshold()) {
          reasons.add("server queue backlog: " + endpoint + "/" + model + " depth " + format(depth)
              + " > " + format(settings.queueBacklogThreshold()));
        }
      }
    }

    // recent server queue time
    long thresholdNanos = settings.queueTimeThreshold().toNanos();
    for (InferenceStats.ModelStats s : stats.snapshot(settings.window())) {
      Map<String, Object> d = detail(perModel, s.endpoint(), s.model());
      d.put("recentCalls", s.windowCalls());
      d.put("recentErrors", s.windowErrors());
      InferenceStats.Percentiles q = s.phase(Phase.SERVER_QUEUE);
      if (q != null) {
        d.put("serverQueueP50Ms", q.p50Millis());
        if (q.count() >= settings.minCalls() && q.p50Millis() * 1_000_000.0 > thresholdNanos) {
          reasons.add("server queue time: " + s.endpoint() + "/" + s.model() + " p50 " + format(q.p50Millis())
              + " ms > " + format(thresholdNanos / 1_000_000.0) + " ms");
        }
      }
    }

    // error budget burn
    List<String> burning;
    try {
      burning = fastBurns.get();
    } catch (RuntimeException e) {
      burning = List.of();
    }
    for (String b : burning) {
      reasons.add("error budget burning fast: " + b);
    }

    Map<String, Object> details = new LinkedHashMap<>();
    if (!reasons.isEmpty()) {
      details.put("reasons", List.copyOf(reasons));
    }
    details.put("endpoints", perModel);
    return new Result(!reasons.isEmpty(), reasons, details);
  }

  /** The thresholds in use. */
  public InferscopeProperties.Health settings() {
    return settings;
  }

  private static String format(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static Map<String, Object> detail(Map<String, Map<String, Map<String, Object>>> perModel,
      String endpoint, String model) {
    return perModel.computeIfAbsent(endpoint, k -> new TreeMap<>()).computeIfAbsent(model, k -> new TreeMap<>());
  }
}
