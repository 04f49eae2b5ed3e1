package dev.inferscope.triton;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.prometheus.PrometheusScraper;
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
 * Triton's {@code /metrics} (port 8002 by default), scraped in the background: the pending request count
 * per model ({@code nv_inference_pending_request_count}) feeds the gauge
 * {@code inference.server.queue.depth} (tags system, model, endpoint) when the telemetry has a registry.
 * {@link #close()} stops the scraper's thread.
 */
public final class TritonServerMetrics implements AutoCloseable {
  private final PrometheusScraper scraper;
  private final Map<String, Double> pending = new ConcurrentHashMap<>();
  private final @Nullable MeterRegistry registry;
  private final String endpoint;

  TritonServerMetrics(URI uri, Duration interval, InferenceTelemetry telemetry, String endpoint) {
    this.scraper = PrometheusScraper.builder(uri).interval(interval)
        .timeout(interval.compareTo(Duration.ofSeconds(5)) < 0 ? interval : Duration.ofSeconds(5))
        .clock(telemetry.clock()).build();
    this.registry = telemetry.meterRegistry();
    this.endpoint = endpoint;
    scraper.addListener(this::update);
    scraper.start();
  }

  private void update(ScrapeResult r) {
    Map<String, Double> sums = new java.util.HashMap<>();
    for (Sample s : r.text().samples("nv_inference_pending_request_count")) {
      String model = s.label("model");
      if (model != null) {
        sums.merge(model, s.value(), Double::sum);
      }
    }
    sums.forEach((model, v) -> {
      if (pending.put(model, v) == null && registry != null) {
        Gauge.builder("inference.server.queue.depth", pending, p -> p.getOrDefault(model, Double.NaN))
            .description("Requests waiting in the server's queue, as the server reports")
            .tags("system", "triton", "model", model, "endpoint", endpoint)
            .register(registry);
      }
    });
  }

  /** Scrapes now (on the calling thread) and returns the pending requests per model. */
  public Map<String, Double> refresh() {
    update(scraper.scrapeNow());
    return pendingRequests();
  }

  /** The latest pending request count per model. */
  public Map<String, Double> pendingRequests() {
    return Map.copyOf(pending);
  }

  /** Whether the last scrape failed or is old. */
  public boolean stale() {
    return scraper.stale();
  }

  @Override
  public void close() {
    scraper.close();
  }
}
