package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.core.Phase;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.core.ServerTimingSource;
import dev.inferscope.core.drift.DriftMonitor;
import dev.inferscope.core.slo.SloTracker;
import dev.inferscope.gpu.GpuMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code sdk} and {@code resilience4j} names of metrics-contract.txt are the names the SDK really
 * exposes: core and dcgm-reader record into a Micrometer Prometheus registry (histograms on, as the
 * Spring starter sets them) and the scrape must hold every such name, and the contract every
 * Inferscope name of the scrape. Gauges that only client modules register from a server's
 * {@code /metrics} (queue depth, KV cache, Triton statistics) are found in those modules' sources.
 */
class SdkMetricNamesTest {
  private static final Pattern GAUGE_IN_SOURCE = Pattern.compile(
      "Gauge\\.builder\\(\\s*\"([a-z0-9_.]+)\"(.{0,600}?)\\.register\\(", Pattern.DOTALL);
  private static final Pattern BASE_UNIT = Pattern.compile("\\.baseUnit\\(\\s*\"([a-z]+)\"\\s*\\)");

  private static Set<String> scraped = Set.of();

  @BeforeAll
  static void recordThroughTheSdk() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        boolean ours = id.getName().startsWith("inference.client.") || id.getName().startsWith("gen_ai.client.");
        return ours ? DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config) : config;
      }
    });
    SloTracker slo = SloTracker.builder().build();
    slo.bindTo(registry);
    DriftMonitor drift = DriftMonitor.builder().build();
    GpuStateSource gpus = new GpuStateSource() {
      @Override
      public List<GpuSnapshot> latest() {
        return List.of(new GpuSnapshot("GPU-0", 0, "test gpu", 0.5, 1L << 30, 2L << 30, 300, 60, 0, "nvml", false));
      }

      @Override
      public String name() {
        return "nvml";
      }
    };
    new GpuMetrics(gpus).bindTo(registry);
    InferenceTelemetry telemetry = InferenceTelemetry.builder()
        .openTelemetry(OpenTelemetry.noop())
        .meterRegistry(registry)
        .logPolicy(LogPolicy.disabled())
        .gpuStateSource(gpus)
        .driftMonitor(drift)
        .addListener(slo)
        .build();
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1).bulkhead(4, Duration.ofSeconds(1))
        .meterRegistry(registry).build();

    // a unary call with every phase, in an experiment
    Call unary = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet50")
        .endpoint("triton-a").batchSize(8).requestBytes(1024).experiment("exp", "b").build());
    for (Phase p : Phase.values()) {
      unary.recordPhase(p, 1_000_000);
    }
    unary.serverTiming(2_000_000, 3_000_000, ServerTimingSource.STATISTICS);
    unary.responseBytes(2048);
    unary.confidence(0.2);
    String answer = unary.execute(policy, null, (attempt, deadline) -> "ok");
    assertThat(answer).isEqualTo("ok");
    // a failed call
    telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet50").endpoint("triton-a").build())
        .end(InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline"));
    // a streamed LLM call
    Call chat = telemetry.start(CallDescriptor.builder(InferenceSystem.VLLM, "chat", "llama").endpoint("vllm-a")
        .genAi(true).streaming(true).build());
    chat.onChunk();
    chat.onChunk();
    chat.onChunk();
    chat.tokens(12, 3);
    chat.end();
    // drift and prediction quality
    for (int i = 0; i < 200; i++) {
      drift.observe("resnet50", "brightness", i % 17);
      drift.observePrediction("resnet50", (i % 10) / 10.0, "cat");
    }
    scraped = namesIn(registry.scrape());
    registry.close();
  }

  static Set<String> namesIn(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        int end = 0;
        while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
          end++;
        }
        names.add(line.substring(0, end));
      }
    }
    return names;
  }

  @Test
  void theRecordingProducedTheMetersThisTestRelieson() {
    assertThat(scraped).contains("inference_client_duration_seconds_count", "gen_ai_client_token_usage_sum",
        "inference_slo_burn_rate", "inference_drift_psi", "hw_gpu_utilization");
  }

  @Test
  void everySdkNameInTheContractIsExported() throws IOException {
    Set<String> fromSources = gaugesRegisteredInModuleSources();
    List<String> missing = new ArrayList<>();
    for (Assets.ContractEntry e : Assets.contract()) {
      boolean sdk = e.source().equals("sdk");
      if ((sdk || e.source().equals("resilience4j")) && !scraped.contains(e.name())
          && !(sdk && fromSources.contains(e.name()))) {
        missing.add(e.name() + " (line " + e.line() + ")");
      }
    }
    assertThat(missing)
        .as("contract names the SDK does not export; scrape had %s; module sources register %s", scraped, fromSources)
        .isEmpty();
  }

  @Test
  void everyInferscopeNameTheSdkExportsIsInTheContract() {
    Set<String> contract = new TreeSet<>();
    Assets.contract().forEach(e -> contract.add(e.name()));
    List<String> unlisted = scraped.stream()
        .filter(n -> n.startsWith("inference_") || n.startsWith("gen_ai_") || n.startsWith("hw_gpu_"))
        .filter(n -> !contract.contains(n))
        .toList();
    assertThat(unlisted).as("exported but missing from metrics-contract.txt").isEmpty();
  }

  @Test
  void sourceScanDerivesPrometheusNamesFromGaugeBuilders() {
    Set<String> names = new TreeSet<>();
    scan("Gauge.builder(\"inference.server.queue.time\", this, p -> 1.0)\n .baseUnit(\"seconds\").tags(\"a\", \"b\")"
        + ".register(registry); Gauge.builder(\"inference.server.kv_cache.usage\", this, m -> 2).register(reg);", names);
    assertThat(names).containsExactlyInAnyOrder("inference_server_queue_time_seconds", "inference_server_kv_cache_usage");
  }

  /** Prometheus names of the gauges that library modules other than core register. */
  static Set<String> gaugesRegisteredInModuleSources() throws IOException {
    Set<String> names = new TreeSet<>();
    for (String module : new String[] {"triton-client", "vllm-client", "dcgm-reader"}) {
      Path src = Assets.ROOT.resolve(module).resolve("src/main/java");
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          scan(Files.readString(f), names);
        }
      }
    }
    return names;
  }

  private static void scan(String source, Set<String> names) {
    Matcher m = GAUGE_IN_SOURCE.matcher(source);
    while (m.find()) {
      Matcher unit = BASE_UNIT.matcher(m.group(2));
      @Nullable String u = unit.find() ? unit.group(1) : null;
      names.add(m.group(1).replace('.', '_') + (u == null ? "" : "_" + u));
    }
  }
}
