package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.prometheus.PrometheusScraper;
import dev.inferscope.core.prometheus.PrometheusText;
import dev.inferscope.core.prometheus.Sample;
import dev.inferscope.core.prometheus.ScrapeResult;
import dev.inferscope.spring.ClientPerceivedHealth;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Scrapes one Triton server's {@code /metrics} and publishes {@code nv_inference_pending_request_count}
 * (summed over versions) as the gauge {@value ClientPerceivedHealth#QUEUE_DEPTH_METER} with tags
 * {@code system=triton}, {@code model}, {@code endpoint} — what the {@code inference} health contributor
 * reads. A model that disappears from the exposition reads NaN. {@link #close()} stops the scraper.
 */
final class TritonQueueDepth implements AutoCloseable {
  static final String PENDING = "nv_inference_pending_request_count";

  private final PrometheusScraper scraper;
  private final MeterRegistry registry;
  private final String endpoint;
  private final ConcurrentMap<String, Double> depth = new ConcurrentHashMap<>();

  TritonQueueDepth(URI metrics, Duration interval, InferenceClock clock, MeterRegistry registry, String endpoint) {
    this.registry = registry;
    this.endpoint = endpoint;
    this.scraper = PrometheusScraper.builder(metrics).interval(interval)
        .timeout(interval.compareTo(Duration.ofSeconds(5)) < 0 ? interval : Duration.ofSeconds(5))
        .clock(clock).build();
    scraper.addListener(this::update);
    scraper.start();
  }

  void update(ScrapeResult result) {
    PrometheusText text = result.text();
    Map<String, Double> sums = new HashMap<>();
    for (Sample s : text.samples(PENDING)) {
      String model = s.label("model");
      if (model != null && !Double.isNaN(s.value())) {
        sums.merge(model, s.value(), Double::sum);
      }
    }
    for (String known : depth.keySet()) {
      sums.putIfAbsent(known, Double.NaN);
    }
    for (Map.Entry<String, Double> e : sums.entrySet()) {
      if (depth.put(e.getKey(), e.getValue()) == null) {
        String model = e.getKey();
        Gauge.builder(ClientPerceivedHealth.QUEUE_DEPTH_METER, depth, d -> d.getOrDefault(model, Double.NaN))
            .description("Requests waiting in the server's queue, as the server reports")
            .tags("system", "triton", "model", model, "endpoint", endpoint)
            .register(registry);
      }
    }
  }

  /** Scrapes now (tests and first health checks). */
  void refresh() {
    scraper.scrapeNow();
  }

  /** The latest depth of a model, or NaN. */
  double depth(String model) {
    return depth.getOrDefault(model, Double.NaN);
  }

  @Override
  public void close() {
    scraper.close();
  }
}
