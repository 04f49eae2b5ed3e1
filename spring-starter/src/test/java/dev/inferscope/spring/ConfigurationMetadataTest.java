package dev.inferscope.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The configuration processor's output is packaged and lists every property with its type and default. */
class ConfigurationMetadataTest {

  private static JsonNode metadata() throws Exception {
    try (InputStream in = ConfigurationMetadataTest.class.getClassLoader()
        .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("generated spring-configuration-metadata.json on the class path").isNotNull();
      return JsonMapper.builder().build().readTree(in);
    }
  }

  private static Map<String, JsonNode> properties(JsonNode metadata) {
    Map<String, JsonNode> byName = new HashMap<>();
    for (JsonNode p : metadata.get("properties")) {
      byName.put(p.get("name").asString(), p);
    }
    return byName;
  }

  @Test
  void generatedMetadataListsTheProperties() throws Exception {
    Map<String, JsonNode> props = properties(metadata());
    assertThat(props).containsKeys(
        "inferscope.enabled",
        "inferscope.metrics.histograms",
        "inferscope.logging.enabled", "inferscope.logging.sample-rate", "inferscope.logging.slow-threshold",
        "inferscope.logging.low-confidence", "inferscope.logging.identity-key",
        "inferscope.slo.enabled", "inferscope.slo.availability-objective", "inferscope.slo.latency-threshold",
        "inferscope.slo.latency-objective",
        "inferscope.gpu.source", "inferscope.gpu.url", "inferscope.gpu.period", "inferscope.gpu.uuids",
        "inferscope.health.queue-backlog-threshold", "inferscope.health.queue-time-threshold",
        "inferscope.health.window", "inferscope.health.min-calls", "inferscope.health.readiness-timeout",
        "inferscope.stats.window-size", "inferscope.stats.slow-calls", "inferscope.stats.slow-threshold",
        "inferscope.triton.endpoints", "inferscope.vllm.endpoints",
        "management.health.inference.enabled", "management.health.inference-servers.enabled");

    assertThat(props.get("inferscope.metrics.histograms").get("defaultValue").asBoolean()).isTrue();
    assertThat(props.get("inferscope.logging.sample-rate").get("defaultValue").asDouble()).isEqualTo(0.1);
    assertThat(props.get("inferscope.logging.slow-threshold").get("type").asString()).isEqualTo("java.time.Duration");
    assertThat(props.get("inferscope.logging.slow-threshold").get("defaultValue").asString()).isEqualTo("1s");
    assertThat(props.get("inferscope.slo.availability-objective").get("defaultValue").asDouble()).isEqualTo(0.999);
    assertThat(props.get("inferscope.gpu.source").get("defaultValue").asString()).isEqualTo("none");
    for (JsonNode p : props.values()) {
      if (p.get("name").asString().startsWith("inferscope.")) {
        assertThat(p.has("description")).as("description of %s", p.get("name")).isTrue();
        assertThat(p.get("description").asString()).as("description of %s", p.get("name")).doesNotContain("{@");
      }
    }
    // the manual part documents the per-endpoint keys that the processor cannot list inside a map
    assertThat(props.get("inferscope.triton.endpoints").get("description").asString())
        .contains("grpc-target", "http-url", "resilience.max-attempts", "metrics.url", "gpu-uuids");
    assertThat(props.get("inferscope.vllm.endpoints").get("description").asString())
        .contains("base-url", "api-key", "idle-timeout");
  }

  @Test
  void gpuSourceHasValueHints() throws Exception {
    JsonNode hints = metadata().get("hints");
    JsonNode gpu = null;
    for (JsonNode h : hints) {
      if (h.get("name").asString().equals("inferscope.gpu.source")) {
        gpu = h;
      }
    }
    assertThat(gpu).isNotNull();
    assertThat(gpu.get("values").findValuesAsString("value")).containsExactly("none", "nvml", "dcgm-exporter", "triton");
  }

  @Test
  void autoConfigurationsAreRegistered() throws Exception {
    try (InputStream in = ConfigurationMetadataTest.class.getClassLoader().getResourceAsStream(
        "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports")) {
      assertThat(in).isNotNull();
      String imports = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(imports).contains("dev.inferscope.spring.autoconfigure.InferscopeAutoConfiguration",
          "dev.inferscope.spring.autoconfigure.InferscopeHealthAutoConfiguration",
          "dev.inferscope.spring.autoconfigure.InferscopeEndpointAutoConfiguration");
      for (String line : imports.split("\\R")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          Class<?> c = Class.forName(line.trim());
          assertThat(java.lang.reflect.Modifier.isFinal(c.getModifiers())).as("%s is final", c).isTrue();
        }
      }
    }
  }
}
