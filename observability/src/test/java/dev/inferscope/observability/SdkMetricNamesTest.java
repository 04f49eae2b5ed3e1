package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
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

  private static final Set<String> scraped = namesIn(SdkScrape.text());

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
