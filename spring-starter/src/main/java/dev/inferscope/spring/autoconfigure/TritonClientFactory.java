package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferscopeProperties;
import dev.inferscope.triton.TritonClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.ssl.SslBundles;

/**
 * Builds the Triton clients of one configured endpoint (gRPC and/or HTTP), registers the endpoint in
 * {@link InferenceEndpoints}, and runs its {@code /metrics} queue-depth scraper.
 */
final class TritonClientFactory implements DisposableBean {
  static final String GRPC = "grpc";
  static final String HTTP = "http";

  private final InferscopeProperties properties;
  private final InferenceTelemetry telemetry;
  private final InferenceEndpoints endpoints;
  private final List<TritonClientBuilderCustomizer> customizers;
  private final @Nullable SslBundles sslBundles;
  private final ReadinessProbes probes;
  private final GpuSources gpuSources;
  private final Map<String, ResiliencePolicy> policies = new LinkedHashMap<>();
  private final List<TritonQueueDepth> scrapers = new ArrayList<>();
  private final Set<String> scraped = new HashSet<>();

  TritonClientFactory(InferscopeProperties properties, InferenceTelemetry telemetry, InferenceEndpoints endpoints,
      List<TritonClientBuilderCustomizer> customizers, @Nullable SslBundles sslBundles, ReadinessProbes probes,
      GpuSources gpuSources) {
    this.properties = properties;
    this.telemetry = telemetry;
    this.endpoints = endpoints;
    this.customizers = List.copyOf(customizers);
    this.sslBundles = sslBundles;
    this.probes = probes;
    this.gpuSources = gpuSources;
  }

  /** Bean name → transport of one endpoint's clients. */
  static Map<String, String> beanNames(String name, InferscopeProperties.TritonEndpoint e) {
    Map<String, String> names = new LinkedHashMap<>();
    if (e.grpcTarget() != null && !e.grpcTarget().isBlank()) {
      names.put(name, GRPC);
      if (e.httpUrl() != null) {
        names.put(name + "-http", HTTP);
      }
    } else {
      // also when neither is set: the factory then fails with a clear message
      names.put(name, HTTP);
    }
    return names;
  }

  synchronized TritonClient create(String name, String transport) {
    InferscopeProperties.TritonEndpoint e = properties.triton().endpoints().get(name);
    if (e == null) {
      throw new IllegalStateException("inferscope: no Triton endpoint named '" + name + "'");
    }
    String prefix = "inferscope.triton.endpoints." + name + ".";
    TritonClient.Builder b;
    String target;
    if (GRPC.equals(transport)) {
      String grpcTarget = e.grpcTarget();
      b = TritonClient.grpc(grpcTarget);
      target = Targets.safe(grpcTarget);
      InferscopeProperties.Tls tls = e.tls();
      if (tls.bundle() != null) {
        throw new IllegalStateException(prefix + "tls.bundle applies to HTTP; for gRPC use " + prefix
            + "tls.trust-certificates, tls.client-certificate and tls.client-key");
      }
      if (tls.enabled()) {
        b.tls(true);
      }
      File trust = tls.trustCertificates();
      if (trust != null) {
        b.trustCertificates(trust);
      }
      File cert = tls.clientCertificate();
      File key = tls.clientKey();
      if ((cert == null) != (key == null)) {
        throw new IllegalStateException(prefix + "tls.client-certificate and tls.client-key go together");
      }
      if (cert != null) {
        b.clientCertificate(cert, key);
      }
    } else {
      URI url = e.httpUrl();
      if (url == null) {
        throw new IllegalStateException(prefix + "grpc-target or " + prefix + "http-url is required");
      }
      b = TritonClient.http(url);
      target = Targets.safe(url);
      String bundle = e.tls().bundle();
      if (bundle != null && !bundle.isEmpty()) {
        if (sslBundles == null) {
          throw new IllegalStateException(prefix + "tls.bundle is set but there are no SSL bundles");
        }
        b.httpClient(HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .sslContext(sslBundles.getBundle(bundle).createSslContext())
            .build());
      }
    }
    // one policy per endpoint, shared by its gRPC and HTTP clients: one circuit per endpoint and model
    ResiliencePolicy policy = policies.computeIfAbsent(name,
        n -> ResiliencePolicies.from(e.resilience(), telemetry.meterRegistry()));
    b.telemetry(telemetry)
        .endpoint(name)
        .resilience(policy)
        .gpuIds(e.gpuUuids())
        .gpuSource(gpuSources.resolve("inferscope.triton.endpoints." + name + ".gpu-source", e.gpuSource()))
        .timeoutParameter(e.timeoutParameter());
    Duration deadline = e.deadline();
    if (deadline != null) {
      b.defaultDeadline(deadline.isZero() || deadline.isNegative() ? null : deadline);
    }
    Duration stats = e.statisticsInterval();
    if (!stats.isZero() && !stats.isNegative() && !e.models().isEmpty()) {
      b.statisticsPolling(stats, e.models().toArray(new String[0]));
    }
    for (TritonClientBuilderCustomizer c : customizers) {
      c.customize(name, transport, b);
    }
    TritonClient client = b.build();
    if (endpoints.get(name) == null || GRPC.equals(transport)) {
      List<String> models = e.models();
      endpoints.register(new InferenceEndpoints.Endpoint(name, InferenceSystem.TRITON, target, policy,
          timeout -> probes.run(() -> readiness(client, models), timeout)));
      startScraper(name, e);
    }
    return client;
  }

  private void startScraper(String name, InferscopeProperties.TritonEndpoint e) {
    MeterRegistry registry = telemetry.meterRegistry();
    InferscopeProperties.MetricsScraping m = e.metrics();
    if (!m.active() || registry == null) {
      return;
    }
    URI url = m.url();
    if (url == null) {
      throw new IllegalStateException("inferscope.triton.endpoints." + name
          + ".metrics.url is required to scrape Triton's metrics (usually http://<host>:8002/metrics)");
    }
    if (scraped.add(name)) {
      scrapers.add(new TritonQueueDepth(url, m.interval(), telemetry.clock(), registry, name));
    }
  }

  private static InferenceEndpoints.Readiness readiness(TritonClient client, List<String> models) {
    boolean ready = client.serverReady();
    Map<String, Boolean> modelReady = new LinkedHashMap<>();
    if (ready) {
      for (String m : models) {
        modelReady.put(m, client.modelReady(m));
      }
    }
    return new InferenceEndpoints.Readiness(ready, modelReady, null);
  }

  /** The queue-depth scrapers started so far. */
  synchronized List<TritonQueueDepth> scrapers() {
    return List.copyOf(scrapers);
  }

  @Override
  public synchronized void destroy() {
    for (TritonQueueDepth s : scrapers) {
      s.close();
    }
    scrapers.clear();
  }
}
