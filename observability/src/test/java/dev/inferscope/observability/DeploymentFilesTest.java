package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The collector configuration, compose file and provisioning files parse and fit together. None of
 * them is started here (no Docker engine on the build machines).
 */
class DeploymentFilesTest {

  @Test
  void collectorReceivesOtlpAndTailSamplesErrorsSlowTracesAndFivePercent() {
    Map<String, Object> c = Assets.yaml(Assets.DIR.resolve("otel-collector/config.yaml"));
    Map<String, Object> otlp = map(map(c.get("receivers")).get("otlp"));
    assertThat(map(otlp.get("protocols"))).containsKeys("grpc", "http");

    List<Object> policies = list(map(map(map(c.get("processors")).get("tail_sampling"))).get("policies"));
    Set<String> kinds = new HashSet<>();
    for (Object o : policies) {
      Map<String, Object> p = map(o);
      String type = String.valueOf(p.get("type"));
      kinds.add(type);
      switch (type) {
        case "status_code" -> assertThat(list(map(p.get("status_code")).get("status_codes"))).containsExactly("ERROR");
        case "latency" -> assertThat(map(p.get("latency")).get("threshold_ms")).isEqualTo(1000);
        case "probabilistic" -> assertThat(map(p.get("probabilistic")).get("sampling_percentage")).isEqualTo(5);
        default -> throw new AssertionError("unexpected sampling policy " + type);
      }
    }
    assertThat(kinds).containsExactlyInAnyOrder("status_code", "latency", "probabilistic");
    // the latency policy keeps what the p99 alert calls slow
    assertThat(String.valueOf(Assets.alerts().get("InferenceLatencyP99AboveSlo").get("expr"))).endsWith("> 1");
  }

  @Test
  void collectorPipelinesUseOnlyDefinedComponentsAndExportToPrometheusTempoAndLoki() {
    Map<String, Object> c = Assets.yaml(Assets.DIR.resolve("otel-collector/config.yaml"));
    Map<String, Object> pipelines = map(map(c.get("service")).get("pipelines"));
    assertThat(pipelines).containsKeys("traces", "metrics", "logs");
    Set<String> usedExporters = new HashSet<>();
    for (Map.Entry<String, Object> e : pipelines.entrySet()) {
      Map<String, Object> p = map(e.getValue());
      for (String kind : new String[] {"receivers", "processors", "exporters"}) {
        for (Object name : list(p.get(kind))) {
          assertThat(map(c.get(kind))).as(e.getKey() + " pipeline " + kind).containsKey(String.valueOf(name));
          if (kind.equals("exporters")) {
            usedExporters.add(String.valueOf(name));
          }
        }
      }
    }
    assertThat(list(map(pipelines.get("traces")).get("processors"))).contains("tail_sampling");
    assertThat(list(map(pipelines.get("traces")).get("exporters"))).containsExactly("otlp/tempo");
    assertThat(list(map(pipelines.get("metrics")).get("exporters"))).containsExactly("prometheusremotewrite");
    assertThat(list(map(pipelines.get("logs")).get("exporters"))).containsExactly("otlphttp/loki");
    assertThat(usedExporters).containsExactlyInAnyOrderElementsOf(map(c.get("exporters")).keySet());

    Map<String, Object> exporters = map(c.get("exporters"));
    assertThat(host(map(exporters.get("prometheusremotewrite")).get("endpoint"))).isEqualTo("prometheus");
    assertThat(String.valueOf(map(exporters.get("otlp/tempo")).get("endpoint"))).isEqualTo("tempo:4317");
    assertThat(String.valueOf(map(exporters.get("otlphttp/loki")).get("endpoint"))).isEqualTo("http://loki:3100/otlp");
  }

  @Test
  void composeStartsTheFiveServicesWithMountsThatExist() {
    Map<String, Object> compose = Assets.yaml(Assets.DIR.resolve("docker-compose.yml"));
    Map<String, Object> services = map(compose.get("services"));
    assertThat(services).containsOnlyKeys("otel-collector", "prometheus", "tempo", "loki", "grafana");
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, Object> s : services.entrySet()) {
      Map<String, Object> svc = map(s.getValue());
      assertThat(String.valueOf(svc.get("image"))).as(s.getKey() + " image pinned").matches("[a-z0-9./-]+:[0-9v][^:]*");
      for (Object v : list(svc.get("volumes"))) {
        String source = String.valueOf(v).split(":")[0];
        if (source.startsWith("./") && !Assets.DIR.resolve(source).normalize().toFile().exists()) {
          missing.add(s.getKey() + ": " + source);
        }
      }
    }
    assertThat(missing).as("mounted files that do not exist").isEmpty();
    assertThat(String.valueOf(map(services.get("otel-collector")).get("image")))
        .as("tail_sampling and prometheusremotewrite need the contrib collector").contains("contrib");
    assertThat(list(map(services.get("prometheus")).get("command"))).contains("--web.enable-remote-write-receiver");
    assertThat(list(map(services.get("grafana")).get("volumes")))
        .contains("./grafana/provisioning:/etc/grafana/provisioning:ro", "./grafana/dashboards:/var/lib/grafana/dashboards:ro");
  }

  @Test
  void prometheusLoadsTheMountedRules() {
    Map<String, Object> prom = Assets.yaml(Assets.DIR.resolve("prometheus/prometheus.yml"));
    assertThat(list(prom.get("rule_files"))).containsExactly("/etc/prometheus/rules/*.yml");
    Map<String, Object> compose = Assets.yaml(Assets.DIR.resolve("docker-compose.yml"));
    assertThat(list(map(map(compose.get("services")).get("prometheus")).get("volumes")))
        .contains("./prometheus/rules:/etc/prometheus/rules:ro");
    assertThat(list(prom.get("scrape_configs"))).hasSizeGreaterThanOrEqualTo(4);
  }

  @Test
  void grafanaProvisioningPointsAtTheMountedDashboardsAndTheComposeServices() {
    Map<String, Object> dash = Assets.yaml(Assets.DIR.resolve("grafana/provisioning/dashboards/dashboards.yaml"));
    Map<String, Object> provider = map(list(dash.get("providers")).get(0));
    assertThat(map(provider.get("options")).get("path")).isEqualTo("/var/lib/grafana/dashboards");

    Map<String, Object> ds = Assets.yaml(Assets.DIR.resolve("grafana/provisioning/datasources/datasources.yaml"));
    Map<String, Object> services = map(Assets.yaml(Assets.DIR.resolve("docker-compose.yml")).get("services"));
    Set<String> types = new HashSet<>();
    for (Object o : list(ds.get("datasources"))) {
      Map<String, Object> d = map(o);
      types.add(String.valueOf(d.get("type")));
      assertThat(services).as("datasource host " + d.get("url")).containsKey(host(d.get("url")));
    }
    assertThat(types).containsExactlyInAnyOrder("prometheus", "tempo", "loki");
  }

  @Test
  void tempoAndLokiConfigsParse() {
    Map<String, Object> tempo = Assets.yaml(Assets.DIR.resolve("tempo/tempo.yaml"));
    assertThat(map(map(map(map(map(tempo.get("distributor")).get("receivers")).get("otlp")).get("protocols")).get("grpc"))
        .get("endpoint")).isEqualTo("0.0.0.0:4317");
    Map<String, Object> loki = Assets.yaml(Assets.DIR.resolve("loki/loki.yaml"));
    assertThat(map(loki.get("limits_config")).get("allow_structured_metadata")).isEqualTo(true);
    assertThat(map(list(map(loki.get("schema_config")).get("configs")).get(0)).get("schema")).isEqualTo("v13");
  }

  private static String host(Object url) {
    return URI.create(String.valueOf(url)).getHost();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertThat(o).as("a YAML mapping").isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    assertThat(o).as("a YAML list").isInstanceOf(List.class);
    return (List<Object>) o;
  }

}
