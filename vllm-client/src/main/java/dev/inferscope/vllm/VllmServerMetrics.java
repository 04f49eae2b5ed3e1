package dev.inferscope.vllm;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.prometheus.PrometheusScraper;
import dev.inferscope.core.prometheus.PrometheusText;
import dev.inferscope.core.prometheus.Sample;
import dev.inferscope.core.prometheus.ScrapeResult;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The load of a vLLM server as its {@code /metrics} says: requests waiting and running, KV-cache usage
 * ({@code vllm:kv_cache_usage_perc}, or the older {@code vllm:gpu_cache_usage_perc}), and the mean queue
 * time over the last scrape interval from the {@code vllm:request_queue_time_seconds} histogram's deltas.
 * Feeds the gauges {@code inference.server.queue.depth} and {@code inference.server.kv_cache.usage}
 * (tags system, model, endpoint) when the telemetry has a meter registry.
 */
public final class VllmServerMetrics implements AutoCloseable {

  /**
   * One model's load.
   *
   * @param waiting requests waiting
   * @param running requests running
   * @param kvCacheUsage KV-cache usage ratio, or NaN
   * @param meanQueueSeconds mean queue time of requests that left the queue during the last interval, or NaN
   */
  public record Load(double waiting, double running, double kvCacheUsage, double meanQueueSeconds) {}

  private final PrometheusScraper scraper;
  private final Map<String, Load> loads = new ConcurrentHashMap<>();
  private final Map<String, double[]> lastQueueHistogram = new ConcurrentHashMap<>();
  private final @Nullable MeterRegistry registry;
  private final InferenceSystem system;
  private final String endpoint;

  VllmServerMetrics(URI metricsUri, Duration interval, InferenceTelemetry telemetry, InferenceSystem system,
      String endpoint, Map<String, String> headers) {
    PrometheusScraper.Builder b = PrometheusScraper.builder(metricsUri).interval(interval)
        .timeout(interval.compareTo(Duration.ofSeconds(5)) < 0 ? interval : Duration.ofSeconds(5))
        .clock(telemetry.clock());
    headers.forEach(b::header);
    this.scraper = b.build();
    this.registry = telemetry.meterRegistry();
    this.system = system;
    this.endpoint = endpoint;
    scraper.addListener(this::update);
    scraper.start();
  }

  /** Scrapes now (on the calling thread) and returns every model's load. */
  public Map<String, Load> refresh() {
    scraper.scrapeNow();
    return loads();
  }

  /** The latest load of every model seen. */
  public Map<String, Load> loads() {
    return Map.copyOf(loads);
  }

  /** The latest load of one model, or {@code null}. */
  public @Nullable Load load(String model) {
    return loads.get(model);
  }

  /** Whether the last scrape failed or is old. */
  public boolean stale() {
    return scraper.stale();
  }

  void update(ScrapeResult r) {
    PrometheusText t = r.text();
    for (Sample s : t.samples("vllm:num_requests_waiting")) {
      String model = s.label("model_name");
      if (model == null) {
        continue;
      }
      double running = first(t, "vllm:num_requests_running", model);
      double kv = first(t, "vllm:kv_cache_usage_perc", model);
      if (Double.isNaN(kv)) {
        kv = first(t, "vllm:gpu_cache_usage_perc", model);
      }
      double sum = first(t, "vllm:request_queue_time_seconds_sum", model);
      double count = first(t, "vllm:request_queue_time_seconds_count", model);
      double mean = Double.NaN;
      double[] last = lastQueueHistogram.put(model, new double[] {sum, count});
      if (last != null && count > last[1] && sum >= last[0]) {
        mean = (sum - last[0]) / (count - last[1]);
      }
      Load previous = loads.put(model, new Load(s.value(), running, kv, mean));
      if (previous == null && registry != null) {
        register(model);
      }
    }
  }

  private void register(String model) {
    MeterRegistry reg = registry;
    if (reg == null) {
      return;
    }
    Gauge.builder("inference.server.queue.depth", this, m -> {
          Load l = m.loads.get(model);
          return l == null ? Double.NaN : l.waiting();
        })
        .description("Requests waiting in the server's queue, as the server reports")
        .tags("system", system.value(), "model", model, "endpoint", endpoint)
        .register(reg);
    Gauge.builder("inference.server.kv_cache.usage", this, m -> {
          Load l = m.loads.get(model);
          return l == null ? Double.NaN : l.kvCacheUsage();
        })
        .description("KV-cache usage ratio, as the server reports")
        .tags("system", system.value(), "model", model, "endpoint", endpoint)
        .register(reg);
  }

  private static double first(PrometheusText t, String name, String model) {
    for (Sample s : t.samples(name)) {
      if (model.equals(s.label("model_name"))) {
        return s.value();
      }
    }
    return Double.NaN;
  }

  @Override
  public void close() {
    scraper.close();
  }
}
