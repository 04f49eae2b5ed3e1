package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferscopeProperties;
import dev.inferscope.vllm.ModelInfo;
import dev.inferscope.vllm.VllmClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ssl.SslBundles;

/** Builds the vLLM client of one configured endpoint and registers it in {@link InferenceEndpoints}. */
final class VllmClientFactory {
  private final InferscopeProperties properties;
  private final InferenceTelemetry telemetry;
  private final InferenceEndpoints endpoints;
  private final List<VllmClientBuilderCustomizer> customizers;
  private final @Nullable SslBundles sslBundles;
  private final ReadinessProbes probes;
  private final GpuSources gpuSources;

  VllmClientFactory(InferscopeProperties properties, InferenceTelemetry telemetry, InferenceEndpoints endpoints,
      List<VllmClientBuilderCustomizer> customizers, @Nullable SslBundles sslBundles, ReadinessProbes probes,
      GpuSources gpuSources) {
    this.properties = properties;
    this.telemetry = telemetry;
    this.endpoints = endpoints;
    this.customizers = List.copyOf(customizers);
    this.sslBundles = sslBundles;
    this.probes = probes;
    this.gpuSources = gpuSources;
  }

  VllmClient create(String name) {
    InferscopeProperties.VllmEndpoint e = properties.vllm().endpoints().get(name);
    if (e == null) {
      throw new IllegalStateException("inferscope: no vLLM endpoint named '" + name + "'");
    }
    URI baseUrl = e.baseUrl();
    if (baseUrl == null) {
      throw new IllegalStateException("inferscope.vllm.endpoints." + name + ".base-url is required");
    }
    ResiliencePolicy policy = ResiliencePolicies.from(e.resilience(), telemetry.meterRegistry());
    VllmClient.Builder b = VllmClient.builder(baseUrl)
        .telemetry(telemetry)
        .endpoint(name)
        .resilience(policy)
        .apiKey(e.apiKey())
        .gpuIds(e.gpuUuids())
        .gpuSource(gpuSources.resolve("inferscope.vllm.endpoints." + name + ".gpu-source", e.gpuSource()));
    Duration deadline = e.deadline();
    if (deadline != null) {
      b.defaultDeadline(deadline.isZero() || deadline.isNegative() ? null : deadline);
    }
    if (e.idleTimeout() != null) {
      b.idleTimeout(e.idleTimeout());
    }
    if (e.metrics().active()) {
      b.scrapeMetrics(e.metrics().interval());
    }
    String bundle = e.tls().bundle();
    if (bundle != null && !bundle.isEmpty()) {
      if (sslBundles == null) {
        throw new IllegalStateException("inferscope.vllm.endpoints." + name + ".tls.bundle is set but there are no SSL bundles");
      }
      b.httpClient(HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .sslContext(sslBundles.getBundle(bundle).createSslContext())
          .build());
    }
    for (VllmClientBuilderCustomizer c : customizers) {
      c.customize(name, b);
    }
    VllmClient client = b.build();
    List<String> models = e.models();
    endpoints.register(new InferenceEndpoints.Endpoint(name, InferenceSystem.VLLM, Targets.safe(baseUrl),
        policy, timeout -> probes.run(() -> readiness(client, models), timeout)));
    return client;
  }

  private static InferenceEndpoints.Readiness readiness(VllmClient client, List<String> models) {
    boolean healthy = client.health();
    Map<String, Boolean> ready = new LinkedHashMap<>();
    if (healthy && !models.isEmpty()) {
      Set<String> served = client.models().stream().map(ModelInfo::id).collect(Collectors.toSet());
      for (String m : models) {
        ready.put(m, served.contains(m));
      }
    }
    return new InferenceEndpoints.Readiness(healthy, ready, null);
  }
}
