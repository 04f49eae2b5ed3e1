package dev.inferscope.spring;

import java.io.File;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code inferscope.*} configuration properties of the Spring Boot starter.
 *
 * <p>Immutable; bound once at startup. Nested groups are never {@code null}: an absent group has its
 * defaults.
 *
 * @param enabled Whether Inferscope's auto-configuration is active at all.
 * @param metrics Metric settings.
 * @param logging Which calls get a JSON request log line and how identities are hashed.
 * @param slo Service level objectives tracked per endpoint and model.
 * @param gpu Where GPU state comes from.
 * @param health Thresholds of the client-perceived "inference" health contributor.
 * @param stats The bounded per-model windows behind the "inference" actuator endpoint.
 * @param triton Named Triton endpoints; each becomes a "TritonClient" bean.
 * @param vllm Named vLLM endpoints; each becomes a "VllmClient" bean.
 */
@ConfigurationProperties("inferscope")
public record InferscopeProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue Metrics metrics,
    @DefaultValue Logging logging,
    @DefaultValue Slo slo,
    @DefaultValue Gpu gpu,
    @DefaultValue Health health,
    @DefaultValue Stats stats,
    @DefaultValue Triton triton,
    @DefaultValue Vllm vllm,
    @DefaultValue Context context) {

  /** Replaces absent groups with their defaults. */
  public InferscopeProperties {
    metrics = metrics != null ? metrics : new Metrics(true);
    logging = logging != null ? logging : Logging.defaults();
    slo = slo != null ? slo : Slo.defaults();
    gpu = gpu != null ? gpu : Gpu.defaults();
    health = health != null ? health : Health.defaults();
    stats = stats != null ? stats : Stats.defaults();
    triton = triton != null ? triton : new Triton(Map.of());
    vllm = vllm != null ? vllm : new Vllm(Map.of());
    context = context != null ? context : Context.defaults();
  }

  /** Properties with every default, as if nothing was configured. */
  public static InferscopeProperties defaults() {
    return new InferscopeProperties(true, null, null, null, null, null, null, null, null, null);
  }

  /**
   * Per-call context every call picks up ({@code inferscope.context.*}): Baggage entries copied into
   * custom attributes, the Baggage keys of the experiment and variant, and the custom attribute keys
   * allowed onto the duration meters as tags (at most 100 values each). Requests set their own context
   * with {@code CallContext} on the request.
   *
   * @param baggageAttributes Baggage keys copied into each call's custom attributes (span and log line)
   * @param experimentBaggageKey the Baggage key of the experiment, for example ab.experiment
   * @param variantBaggageKey the Baggage key of the variant, for example ab.variant
   * @param meterAttributes custom attribute keys allowed as tags on the duration meters
   */
  public record Context(
      @DefaultValue List<String> baggageAttributes,
      @Nullable String experimentBaggageKey,
      @Nullable String variantBaggageKey,
      @DefaultValue List<String> meterAttributes) {
    public Context {
      baggageAttributes = baggageAttributes != null ? List.copyOf(baggageAttributes) : List.of();
      meterAttributes = meterAttributes != null ? List.copyOf(meterAttributes) : List.of();
      if ((experimentBaggageKey == null) != (variantBaggageKey == null)) {
        throw new IllegalArgumentException("inferscope.context.experiment-baggage-key and variant-baggage-key"
            + " are set together");
      }
    }

    static Context defaults() {
      return new Context(List.of(), null, null, List.of());
    }
  }

  /**
   * Metric settings.
   *
   * @param histograms Whether percentile histograms are published for Inferscope's "inference.client.*"
   *     and "gen_ai.client.*" meters (needed for p99 in Prometheus).
   */
  public record Metrics(@DefaultValue("true") boolean histograms) {}

  /**
   * Which calls get a JSON log line on the {@code dev.inferscope.requests} logger. A log line never holds
   * a payload.
   *
   * @param enabled Whether request log lines are written at all.
   * @param sampleRate Share of ordinary calls that are logged, 0 to 1; errors, slow calls and
   *     low-confidence predictions are always logged.
   * @param slowThreshold Calls at least this slow are always logged.
   * @param lowConfidence Predictions with a confidence below this are always logged.
   * @param identityKey Secret key (at least 16 bytes) for HMAC-SHA256 hashing of user ids and client
   *     addresses; without it those fields are left out.
   */
  public record Logging(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("0.1") double sampleRate,
      @DefaultValue("1s") Duration slowThreshold,
      @DefaultValue("0.5") double lowConfidence,
      @Nullable String identityKey) {

    static Logging defaults() {
      return new Logging(true, 0.1, Duration.ofSeconds(1), 0.5, null);
    }

    /** Hides the identity key. */
    @Override
    public String toString() {
      return "Logging[enabled=" + enabled + ", sampleRate=" + sampleRate + ", slowThreshold=" + slowThreshold
          + ", lowConfidence=" + lowConfidence + ", identityKey=" + (identityKey == null ? "none" : "<redacted>")
          + "]";
    }
  }

  /**
   * Service level objectives, tracked per endpoint and model from every ended call.
   *
   * @param enabled Whether SLOs are tracked (and can degrade the "inference" health).
   * @param availabilityObjective The share of calls that must succeed, e.g. 0.999.
   * @param latencyThreshold A call slower than this counts against the latency objective.
   * @param latencyObjective The share of calls that must be faster than the threshold, e.g. 0.99.
   */
  public record Slo(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("0.999") double availabilityObjective,
      @DefaultValue("1s") Duration latencyThreshold,
      @DefaultValue("0.99") double latencyObjective) {

    static Slo defaults() {
      return new Slo(true, 0.999, Duration.ofSeconds(1), 0.99);
    }
  }

  /** Where GPU state comes from. */
  public enum GpuSourceType {
    /** No GPU state. */
    NONE,
    /** NVML on this host, through the JNI shim of {@code inferscope-dcgm-reader}. */
    NVML,
    /** A dcgm-exporter {@code /metrics} endpoint. */
    DCGM_EXPORTER,
    /** Triton's own {@code /metrics} endpoint ({@code nv_gpu_*}). */
    TRITON
  }

  /**
   * Where GPU state comes from.
   *
   * @param source "none", "nvml", "dcgm-exporter" or "triton".
   * @param url The metrics URL for "dcgm-exporter" (e.g. "http://localhost:9400/metrics") and "triton"
   *     (e.g. "http://localhost:8002/metrics").
   * @param period How often GPU state is sampled or scraped.
   * @param uuids The GPUs to watch (UUIDs or indexes); empty means all.
   */
  public record Gpu(
      @DefaultValue("none") GpuSourceType source,
      @Nullable URI url,
      @DefaultValue("1s") Duration period,
      @DefaultValue List<String> uuids) {

    /** Normalises absent lists. */
    public Gpu {
      source = source != null ? source : GpuSourceType.NONE;
      period = period != null ? period : Duration.ofSeconds(1);
      uuids = uuids != null ? List.copyOf(uuids) : List.of();
    }

    static Gpu defaults() {
      return new Gpu(GpuSourceType.NONE, null, Duration.ofSeconds(1), List.of());
    }
  }

  /**
   * Thresholds of the client-perceived {@code inference} health contributor, which reports
   * {@code DEGRADED} while the server's own readiness may still say ready.
   *
   * @param queueBacklogThreshold A scraped server queue depth ("inference.server.queue.depth") above
   *     this is a backlog.
   * @param queueTimeThreshold A median server queue time of recent calls above this is a backlog.
   * @param window How far back "recent calls" reach.
   * @param minCalls Fewer recent calls than this never count as a backlog.
   * @param readinessTimeout How long a server/model readiness probe may take.
   * @param burnMinCalls An endpoint and model with fewer calls in the SLO tracker's 6 h window never counts
   *     as burning its error budget fast (a burn rate over a handful of calls is noise).
   * @param traceProbes Give readiness and health probes a span and a log line (they never reach the client
   *     meters); off by default, since each probe would start a root trace.
   */
  public record Health(
      @DefaultValue("8") double queueBacklogThreshold,
      @DefaultValue("500ms") Duration queueTimeThreshold,
      @DefaultValue("1m") Duration window,
      @DefaultValue("5") int minCalls,
      @DefaultValue("2s") Duration readinessTimeout,
      @DefaultValue("50") long burnMinCalls,
      @DefaultValue("false") boolean traceProbes) {

    /** The defaults. */
    public static Health defaults() {
      return new Health(8, Duration.ofMillis(500), Duration.ofMinutes(1), 5, Duration.ofSeconds(2), 50, false);
    }
  }

  /**
   * The bounded per-model windows behind the {@code inference} actuator endpoint.
   *
   * @param windowSize How many recent calls per endpoint and model the percentiles are computed over.
   * @param slowCalls How many recent slow calls are kept.
   * @param slowThreshold A call at least this slow is kept as a slow call.
   * @param operations The operations counted; empty counts every call, readiness probes and metadata
   *     calls included.
   */
  public record Stats(
      @DefaultValue("1024") int windowSize,
      @DefaultValue("20") int slowCalls,
      @DefaultValue("1s") Duration slowThreshold,
      @DefaultValue({"infer", "generate", "chat", "text_completion", "embeddings"}) List<String> operations) {

    /** Validates the sizes. */
    public Stats {
      if (windowSize < 1 || windowSize > 1_000_000) {
        throw new IllegalArgumentException("inferscope.stats.window-size must be within 1..1000000");
      }
      if (slowCalls < 0 || slowCalls > 10_000) {
        throw new IllegalArgumentException("inferscope.stats.slow-calls must be within 0..10000");
      }
      slowThreshold = slowThreshold != null ? slowThreshold : Duration.ofSeconds(1);
      operations = operations != null ? List.copyOf(operations) : List.of("infer", "generate", "chat", "text_completion", "embeddings");
    }

    static Stats defaults() {
      return new Stats(1024, 20, Duration.ofSeconds(1), null);
    }
  }

  /**
   * Retries, circuit breaking and bulkheads of one endpoint (per model).
   *
   * @param maxAttempts Attempts per call, at least 1 (1 = no retries); retries stay within the deadline.
   * @param initialBackoff The first wait between attempts.
   * @param backoffMultiplier How much each wait grows.
   * @param maxBackoff The longest wait between attempts.
   * @param circuitBreaker Circuit breaker settings.
   * @param bulkhead Bulkhead settings.
   */
  public record Resilience(
      @DefaultValue("3") int maxAttempts,
      @DefaultValue("50ms") Duration initialBackoff,
      @DefaultValue("2.0") double backoffMultiplier,
      @DefaultValue("2s") Duration maxBackoff,
      @DefaultValue CircuitBreaker circuitBreaker,
      @DefaultValue Bulkhead bulkhead) {

    /** Replaces absent groups with their defaults. */
    public Resilience {
      initialBackoff = initialBackoff != null ? initialBackoff : Duration.ofMillis(50);
      maxBackoff = maxBackoff != null ? maxBackoff : Duration.ofSeconds(2);
      circuitBreaker = circuitBreaker != null ? circuitBreaker : CircuitBreaker.defaults();
      bulkhead = bulkhead != null ? bulkhead : new Bulkhead(0, Duration.ZERO);
    }

    /** The defaults: 3 attempts, 50 ms to 2 s backoff, circuit breaker on, no bulkhead. */
    public static Resilience defaults() {
      return new Resilience(3, Duration.ofMillis(50), 2.0, Duration.ofSeconds(2), null, null);
    }
  }

  /**
   * A circuit breaker per endpoint and model (resilience4j).
   *
   * @param enabled Whether calls go through a circuit breaker.
   * @param failureRateThreshold Failure rate in percent at which the circuit opens.
   * @param slidingWindowSize How many recent calls the failure rate is computed over.
   * @param minimumNumberOfCalls Calls needed before the failure rate is computed.
   * @param waitDurationInOpenState How long the circuit stays open before trying again.
   */
  public record CircuitBreaker(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("50") float failureRateThreshold,
      @DefaultValue("100") int slidingWindowSize,
      @DefaultValue("100") int minimumNumberOfCalls,
      @DefaultValue("60s") Duration waitDurationInOpenState) {

    /** Normalises absent values. */
    public CircuitBreaker {
      waitDurationInOpenState = waitDurationInOpenState != null ? waitDurationInOpenState : Duration.ofSeconds(60);
    }

    static CircuitBreaker defaults() {
      return new CircuitBreaker(true, 50, 100, 100, Duration.ofSeconds(60));
    }
  }

  /**
   * A semaphore bulkhead per endpoint and model; the wait for a permit is the call's client queue time.
   *
   * @param maxConcurrentCalls Calls allowed at once per model; 0 turns the bulkhead off.
   * @param maxWait How long a call may wait for a permit before failing with "BULKHEAD_FULL".
   */
  public record Bulkhead(@DefaultValue("0") int maxConcurrentCalls, @DefaultValue("0s") Duration maxWait) {
    /** Normalises absent values. */
    public Bulkhead {
      maxWait = maxWait != null ? maxWait : Duration.ZERO;
    }
  }

  /**
   * Scraping of a server's Prometheus "/metrics" endpoint (queue depth, KV-cache usage), which feeds the
   * "inference.server.queue.depth" gauges the "inference" health contributor reads.
   *
   * @param enabled Whether to scrape; for Triton, setting a URL turns it on as well.
   * @param url The metrics URL (Triton only: it serves them on port 8002, e.g.
   *     "http://triton:8002/metrics"); vLLM is always scraped at "<base-url>/metrics".
   * @param interval How often to scrape.
   */
  public record MetricsScraping(
      @DefaultValue("false") boolean enabled,
      @Nullable URI url,
      @DefaultValue("15s") Duration interval) {
    /** Normalises absent values. */
    public MetricsScraping {
      interval = interval != null ? interval : Duration.ofSeconds(15);
    }

    static MetricsScraping off() {
      return new MetricsScraping(false, null, Duration.ofSeconds(15));
    }

    /** Whether scraping is on (enabled, or a URL was given). */
    public boolean active() {
      return enabled || url != null;
    }
  }

  /**
   * Transport security of an endpoint.
   *
   * @param enabled Whether TLS is used on gRPC ("https" URLs use it for HTTP anyway).
   * @param bundle The name of a Spring Boot SSL bundle ("spring.ssl.bundle.*") with the trust material and
   *     optional client key, for HTTP transports (Triton over HTTP, vLLM).
   * @param trustCertificates A PEM file of trusted CA certificates, for Triton over gRPC.
   * @param clientCertificate A PEM client certificate chain for mutual TLS, for Triton over gRPC.
   * @param clientKey The PEM (PKCS#8) private key of the client certificate, for Triton over gRPC.
   */
  public record Tls(
      @DefaultValue("false") boolean enabled,
      @Nullable String bundle,
      @Nullable File trustCertificates,
      @Nullable File clientCertificate,
      @Nullable File clientKey) {

    static Tls off() {
      return new Tls(false, null, null, null, null);
    }
  }

  /**
   * The named Triton endpoints.
   *
   * @param endpoints The endpoints by name; each name becomes a bean name.
   */
  public record Triton(@DefaultValue Map<String, TritonEndpoint> endpoints) {
    /** Copies the map, sorted by name. */
    public Triton {
      endpoints = endpoints != null ? java.util.Collections.unmodifiableMap(new TreeMap<>(endpoints)) : Map.of();
    }
  }

  /**
   * One Triton server. With both {@code grpc-target} and {@code http-url}, the bean named after the
   * endpoint speaks gRPC and a second bean named {@code <name>-http} speaks HTTP.
   *
   * @param grpcTarget The gRPC target "host:port", e.g. "triton:8001".
   * @param httpUrl The HTTP base URL, e.g. "http://localhost:8000".
   * @param tls Transport security.
   * @param deadline The default deadline of calls that pass none; absent keeps the client's default, 0
   *     means none.
   * @param timeoutParameter Whether the deadline is also sent as Triton's "timeout" request parameter
   *     (microseconds), so that the server drops requests that can no longer finish in time.
   * @param resilience Retries, circuit breaker and bulkhead.
   * @param statisticsInterval How often "ModelStatistics" of the listed models is polled to split server
   *     time into queue and compute; zero turns polling off.
   * @param metrics Scraping of Triton's "/metrics" (queue depth).
   * @param gpuUuids The GPUs this server runs on, for GPU state on each call.
   * @param gpuSource The name of the GpuStateSource bean that sees this server's GPUs (for example a
   *     ScrapedGpuStateSource over its own dcgm-exporter), or none; unset, the application-wide source.
   * @param models The models whose readiness the health contributor checks and whose statistics are
   *     polled.
   */
  public record TritonEndpoint(
      @Nullable String grpcTarget,
      @Nullable URI httpUrl,
      @DefaultValue Tls tls,
      @Nullable Duration deadline,
      @DefaultValue("false") boolean timeoutParameter,
      @DefaultValue Resilience resilience,
      @DefaultValue("5s") Duration statisticsInterval,
      @DefaultValue MetricsScraping metrics,
      @DefaultValue List<String> gpuUuids,
      @Nullable String gpuSource,
      @DefaultValue List<String> models) {

    /** Replaces absent groups with their defaults. */
    public TritonEndpoint {
      tls = tls != null ? tls : Tls.off();
      resilience = resilience != null ? resilience : Resilience.defaults();
      statisticsInterval = statisticsInterval != null ? statisticsInterval : Duration.ofSeconds(5);
      metrics = metrics != null ? metrics : MetricsScraping.off();
      gpuUuids = gpuUuids != null ? List.copyOf(gpuUuids) : List.of();
      models = models != null ? List.copyOf(models) : List.of();
    }
  }

  /**
   * The named vLLM endpoints.
   *
   * @param endpoints The endpoints by name; each name becomes a bean name.
   */
  public record Vllm(@DefaultValue Map<String, VllmEndpoint> endpoints) {
    /** Copies the map, sorted by name. */
    public Vllm {
      endpoints = endpoints != null ? java.util.Collections.unmodifiableMap(new TreeMap<>(endpoints)) : Map.of();
    }
  }

  /**
   * One vLLM (OpenAI-compatible) server.
   *
   * @param baseUrl The base URL, e.g. "http://localhost:8000" (the client adds "/v1/...").
   * @param apiKey The API key sent as "Authorization: Bearer"; never logged.
   * @param deadline The default deadline of calls that pass none; absent keeps the client's default (60 s),
   *     0 means none.
   * @param idleTimeout The longest wait between two chunks of a stream.
   * @param tls Transport security ("https" base URLs; a bundle gives custom trust material).
   * @param resilience Retries (before the first byte only), circuit breaker and bulkhead.
   * @param metrics Scraping of vLLM's "/metrics" (queue depth, KV-cache usage).
   * @param gpuUuids The GPUs this server runs on, for GPU state on each call.
   * @param gpuSource The name of the GpuStateSource bean that sees this server's GPUs (for example a
   *     ScrapedGpuStateSource over its own dcgm-exporter), or none; unset, the application-wide source.
   * @param models The models whose presence the health contributor checks.
   */
  public record VllmEndpoint(
      @Nullable URI baseUrl,
      @Nullable String apiKey,
      @Nullable Duration deadline,
      @Nullable Duration idleTimeout,
      @DefaultValue Tls tls,
      @DefaultValue Resilience resilience,
      @DefaultValue MetricsScraping metrics,
      @DefaultValue List<String> gpuUuids,
      @Nullable String gpuSource,
      @DefaultValue List<String> models) {

    /** Replaces absent groups with their defaults. */
    public VllmEndpoint {
      tls = tls != null ? tls : Tls.off();
      resilience = resilience != null ? resilience : Resilience.defaults();
      metrics = metrics != null ? metrics : MetricsScraping.off();
      gpuUuids = gpuUuids != null ? List.copyOf(gpuUuids) : List.of();
      models = models != null ? List.copyOf(models) : List.of();
    }

    /** Hides the API key. */
    @Override
    public String toString() {
      return "VllmEndpoint[baseUrl=" + baseUrl + ", apiKey=" + (apiKey == null ? "none" : "<redacted>")
          + ", deadline=" + deadline + ", idleTimeout=" + idleTimeout + ", tls=" + tls + ", resilience=" + resilience
          + ", metrics=" + metrics + ", gpuUuids=" + gpuUuids + ", gpuSource=" + gpuSource + ", models=" + models + "]";
    }
  }
}
