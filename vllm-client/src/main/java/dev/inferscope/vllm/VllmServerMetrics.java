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
 * The load of a vLLM (or llama.cpp) server as its {@code /metrics} says: requests waiting and running,
 * KV-cache usage ({@code vllm:kv_cache_usage_perc}, or {@code vllm:gpu_cache_usage_perc} from servers
 * older than 0.12), and the mean queue time over the last scrape interval from the
 * {@code vllm:request_queue_time_seconds} histogram's deltas. Counts are summed per model over
 * data-parallel engines (the {@code engine} label); either spelling of the names ({@code vllm:} or
 * OpenMetrics' {@code vllm_}) is read. llama.cpp's {@code llamacpp:requests_deferred} and
 * {@code llamacpp:requests_processing} are its waiting and running counts, reported for the model name
 * the client was built with ({@link VllmClient.Builder#metricsModel}, default {@code default}).
 * From the per-request phase histograms ({@code vllm:request_prefill_time_seconds},
 * {@code vllm:request_decode_time_seconds}, {@code vllm:request_generation_tokens}) it also keeps each
 * model's mean prefill and decode time per token, which estimate a call's compute when the server sends
 * no per-request metrics ({@link Load#computeNanos}).
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
   * @param meanPrefillSeconds mean prefill time of the requests that finished in the latest interval that had
   *     any ({@code vllm:request_prefill_time_seconds}), or NaN
   * @param decodeSecondsPerToken decode time per generated token after the first, over the same requests
   *     ({@code vllm:request_decode_time_seconds} over {@code vllm:request_generation_tokens} less one per
   *     request), or NaN
   */
  public record Load(double waiting, double running, double kvCacheUsage, double meanQueueSeconds,
      double meanPrefillSeconds, double decodeSecondsPerToken) {
    /** A load without compute statistics. */
    public Load(double waiting, double running, double kvCacheUsage, double meanQueueSeconds) {
      this(waiting, running, kvCacheUsage, meanQueueSeconds, Double.NaN, Double.NaN);
    }

    /**
     * The server's compute for a request that generated {@code outputTokens}, estimated from the statistics:
     * mean prefill plus a decode time per token after the first; -1 when unknown.
     */
    public long computeNanos(long outputTokens) {
      if (Double.isNaN(meanPrefillSeconds) || Double.isNaN(decodeSecondsPerToken) || outputTokens < 1) {
        return -1;
      }
      return Math.round((meanPrefillSeconds + (outputTokens - 1) * decodeSecondsPerToken) * 1e9);
    }

    /** The mean prefill in nanoseconds, or -1. */
    public long prefillNanos() {
      return Double.isNaN(meanPrefillSeconds) ? -1 : Math.round(meanPrefillSeconds * 1e9);
    }
  }

  private final PrometheusScraper scraper;
  private final Map<String, Load> loads = new ConcurrentHashMap<>();
  private final Map<String, double[]> lastQueueHistogram = new ConcurrentHashMap<>();
  private final Map<String, double[]> lastCompute = new ConcurrentHashMap<>(); // sums and counts, last scrape
  private final Map<String, double[]> computeEstimate = new ConcurrentHashMap<>(); // prefill, decode per token
  private final @Nullable MeterRegistry registry;
  private final InferenceSystem system;
  private final String endpoint;
  private final String llamaModel;

  VllmServerMetrics(URI metricsUri, Duration interval, InferenceTelemetry telemetry, InferenceSystem system,
      String endpoint, Map<String, String> headers) {
    this(metricsUri, interval, telemetry, system, endpoint, headers, "default");
  }

  VllmServerMetrics(URI metricsUri, Duration interval, InferenceTelemetry telemetry, InferenceSystem system,
      String endpoint, Map<String, String> headers, String llamaModel) {
    this.llamaModel = llamaModel;
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
    Map<String, double[]> byModel = new java.util.LinkedHashMap<>();
    // vLLM V1 (vllm-project/vllm vllm/v1/metrics/loggers.py): one series per model_name and engine; the
    // model's load is the sum over its data-parallel engines.
    sumPerModel(t, "num_requests_waiting", byModel, 0);
    sumPerModel(t, "num_requests_running", byModel, 1);
    sumPerModel(t, "request_queue_time_seconds_sum", byModel, 3);
    sumPerModel(t, "request_queue_time_seconds_count", byModel, 4);
    // the same file's per-request phase histograms (histogram_prefill_time_request,
    // histogram_decode_time_request) and histogram_num_generation_tokens_request
    sumPerModel(t, "request_prefill_time_seconds_sum", byModel, 5);
    sumPerModel(t, "request_prefill_time_seconds_count", byModel, 6);
    sumPerModel(t, "request_decode_time_seconds_sum", byModel, 7);
    sumPerModel(t, "request_generation_tokens_sum", byModel, 8);
    sumPerModel(t, "request_generation_tokens_count", byModel, 9);
    kvCache(t, "kv_cache_usage_perc", byModel);
    kvCache(t, "gpu_cache_usage_perc", byModel); // removed in vLLM 0.12; read when an older server sends it
    // llama.cpp llama-server (b11669, ../shared/peers/README.md): one model, no labels; deferred requests
    // wait for a slot, processing ones run.
    Value deferred = unlabelled(t, "llamacpp:requests_deferred");
    if (deferred != null) {
      double[] v = byModel.computeIfAbsent(llamaModel, k -> blank());
      v[0] = deferred.value;
      Value processing = unlabelled(t, "llamacpp:requests_processing");
      v[1] = processing == null ? Double.NaN : processing.value;
    }
    for (Map.Entry<String, double[]> e : byModel.entrySet()) {
      String model = e.getKey();
      double[] v = e.getValue();
      double mean = Double.NaN;
      double[] last = lastQueueHistogram.put(model, new double[] {v[3], v[4]});
      if (last != null && v[4] > last[1] && v[3] >= last[0]) {
        mean = (v[3] - last[0]) / (v[4] - last[1]);
      }
      double[] est = computeEstimate(model, v);
      Load previous = loads.put(model, new Load(v[0], v[1], v[2], mean, est[0], est[1]));
      if (previous == null && registry != null) {
        register(model);
      }
    }
  }

  private static double[] blank() {
    double[] v = new double[10];
    java.util.Arrays.fill(v, Double.NaN);
    return v;
  }

  /**
   * Mean prefill and decode time per token of the requests that finished since the last scrape; when none
   * did, the latest interval's that had some (a quiet server's compute has not changed). NaN until known.
   */
  private double[] computeEstimate(String model, double[] v) {
    double[] now = {v[5], v[6], v[7], v[8], v[9]};
    double[] last = lastCompute.put(model, now);
    double[] est = computeEstimate.computeIfAbsent(model, k -> new double[] {Double.NaN, Double.NaN});
    if (last != null && !Double.isNaN(now[1]) && !Double.isNaN(last[1]) && now[1] > last[1]) {
      double requests = now[1] - last[1];
      double prefill = (now[0] - last[0]) / requests;
      double laterTokens = (now[3] - last[3]) - (now[4] - last[4]); // generated tokens after each first one
      double decode = now[2] - last[2];
      if (prefill >= 0) {
        est[0] = prefill;
      }
      if (laterTokens > 0 && decode >= 0) {
        est[1] = decode / laterTokens;
      } else if (laterTokens == 0 && decode >= 0) {
        est[1] = 0; // one-token answers: nothing decoded after the first token
      }
    }
    return est.clone();
  }

  /**
   * The samples of a {@code vllm:} metric in either spelling: {@code vllm:name} (text format) or
   * {@code vllm_name} (prometheus_client's OpenMetrics sample names from 0.23.0, should a server send
   * them anyway; prometheus/client_python issue #1177).
   */
  private static java.util.List<Sample> vllmSamples(PrometheusText t, String name) {
    java.util.List<Sample> colon = t.samples("vllm:" + name);
    return colon.isEmpty() ? t.samples("vllm_" + name) : colon;
  }

  private static void sumPerModel(PrometheusText t, String name, Map<String, double[]> byModel, int slot) {
    String spelled = t.samples("vllm:" + name).isEmpty() ? "vllm_" + name : "vllm:" + name;
    t.sumBy(spelled, "model_name").forEach((model, sum) -> byModel.computeIfAbsent(model, k -> blank())[slot] = sum);
  }

  /** KV-cache usage of a model across engines: the fullest engine (a ratio does not add up). */
  private static void kvCache(PrometheusText t, String name, Map<String, double[]> byModel) {
    for (Sample s : vllmSamples(t, name)) {
      String model = s.label("model_name");
      if (model == null || Double.isNaN(s.value())) {
        continue;
      }
      double[] v = byModel.computeIfAbsent(model, k -> blank());
      v[2] = Double.isNaN(v[2]) ? s.value() : Math.max(v[2], s.value());
    }
  }

  private record Value(double value) {}

  private static @Nullable Value unlabelled(PrometheusText t, String name) {
    java.util.List<Sample> samples = t.samples(name);
    return samples.isEmpty() ? null : new Value(samples.get(0).value());
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

  @Override
  public void close() {
    scraper.close();
  }
}
