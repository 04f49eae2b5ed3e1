package dev.inferscope.triton;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.prometheus.PrometheusScraper;
import dev.inferscope.core.prometheus.PrometheusText;
import dev.inferscope.core.prometheus.ScrapeResult;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Triton's {@code /metrics} (port 8002 by default), scraped in the background. Per model it reads:
 *
 * <ul>
 *   <li>the queue depth: {@code nv_inference_pending_request_count}, plus, for TensorRT-LLM models,
 *       {@code nv_trt_llm_request_metrics{request_type="waiting"}} (the backend queues requests itself,
 *       so Triton's pending count stays 0 for them);
 *   <li>running requests: {@code nv_trt_llm_request_metrics{request_type="scheduled"}} (TensorRT-LLM only);
 *   <li>the mean queue time per request between two scrapes: the growth of
 *       {@code nv_inference_queue_duration_us} divided by the growth of {@code nv_inference_request_success}.
 * </ul>
 *
 * <p>Names: triton-inference-server/core {@code src/metrics.cc}; triton-inference-server/tensorrtllm_backend
 * {@code README.md} ("Triton Metrics") and {@code all_models/inflight_batcher_llm/tensorrt_llm/1/model.py}
 * ({@code request_type="waiting"}). The queue depth feeds the gauge {@code inference.server.queue.depth}
 * (tags system, model, endpoint) when the telemetry has a registry. A failed scrape (or a body that is not
 * Prometheus text) keeps the last values and marks the reader {@linkplain #stale() stale}.
 * {@link #close()} stops the scraper's thread.
 */
public final class TritonServerMetrics implements AutoCloseable {

  /**
   * One model's load as the server last reported it.
   *
   * @param queueDepth requests waiting (pending in Triton's scheduler, or waiting in TensorRT-LLM's)
   * @param running requests being executed, or {@code NaN} when the server does not say (non-TensorRT-LLM)
   * @param meanQueueSeconds mean queue time per request completed between the last two scrapes, or
   *     {@code NaN} when none completed or only one scrape was read
   */
  public record Load(double queueDepth, double running, double meanQueueSeconds) {}

  private final PrometheusScraper scraper;
  private final Map<String, Load> loads = new ConcurrentHashMap<>();
  private final Map<String, double[]> lastCounters = new ConcurrentHashMap<>();
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

  /** Reads one scrape; package-private for tests that feed text directly. */
  synchronized void update(ScrapeResult r) {
    PrometheusText text = r.text();
    Map<String, Double> depth = new HashMap<>(text.sumBy("nv_inference_pending_request_count", "model"));
    text.sumBy("nv_trt_llm_request_metrics", "model", "request_type", "waiting")
        .forEach((model, v) -> depth.merge(model, v, Double::sum));
    Map<String, Double> running = text.sumBy("nv_trt_llm_request_metrics", "model", "request_type", "scheduled");
    Map<String, Double> success = text.sumBy("nv_inference_request_success", "model");
    Map<String, Double> queueUs = text.sumBy("nv_inference_queue_duration_us", "model");
    for (Map.Entry<String, Double> e : depth.entrySet()) {
      String model = e.getKey();
      double mean = Double.NaN;
      Double n = success.get(model);
      Double q = queueUs.get(model);
      if (n != null && q != null) {
        double[] prev = lastCounters.put(model, new double[] {n, q});
        // a counter that went down is a server restart: no mean for this interval
        if (prev != null && n > prev[0] && q >= prev[1]) {
          mean = (q - prev[1]) / (n - prev[0]) / 1e6;
        }
      }
      Load load = new Load(e.getValue(), running.getOrDefault(model, Double.NaN), mean);
      if (loads.put(model, load) == null && registry != null) {
        Gauge.builder("inference.server.queue.depth", loads, l -> queueDepth(l.get(model)))
            .description("Requests waiting in the server's queue, as the server reports")
            .tags("system", "triton", "model", model, "endpoint", endpoint)
            .register(registry);
      }
    }
  }

  private static double queueDepth(@Nullable Load l) {
    return l == null ? Double.NaN : l.queueDepth();
  }

  /** Scrapes now (on the calling thread) and returns the queue depth per model. */
  public Map<String, Double> refresh() {
    scraper.scrapeNow(); // its listener is update()
    return pendingRequests();
  }

  /** The latest queue depth per model (pending requests, or TensorRT-LLM's waiting requests). */
  public Map<String, Double> pendingRequests() {
    Map<String, Double> out = new HashMap<>();
    loads.forEach((m, l) -> out.put(m, l.queueDepth()));
    return Map.copyOf(out);
  }

  /** The latest load of {@code model}, or {@code null} when no scrape has named it. */
  public @Nullable Load load(String model) {
    return loads.get(model);
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
