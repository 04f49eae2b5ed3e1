package dev.inferscope.examples.springapp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.testkit.Eventually;
import dev.inferscope.testkit.prometheus.PrometheusServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus 2.42 (Debian's package) scrapes the example with tracing on and the project's rule
 * files loaded: the target is up (before the starter's exemplar default, Micrometer's OpenMetrics output put
 * exemplars on {@code _count} samples and 2.42 rejected every scrape), the inference series are there, and
 * every rule group loads and evaluates without error.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "example.real-prometheus=true")
class RealPrometheusTest {
  private static final Path RULES = Path.of("..", "..", "observability", "prometheus", "rules");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  int port;

  @org.springframework.beans.factory.annotation.Autowired
  org.springframework.core.env.Environment environment;

  @TempDir
  Path tmp;

  private HttpResponse<String> send(String path, String body, String accept) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30));
    if (accept != null) {
      b.header("Accept", accept);
    }
    b = body == null ? b.GET() : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void prometheus242ScrapesTheExampleWithTracingOn() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(send("/classify", "{\"seed\":" + i + "}", null).statusCode()).isEqualTo(200);
      assertThat(send("/chat", "{\"message\":\"hi\"}", null).statusCode()).isEqualTo(200);
    }
    // what Prometheus asks for: OpenMetrics. Exemplars only on _bucket and _total samples.
    String om = send("/actuator/prometheus", null, "application/openmetrics-text;version=1.0.0").body();
    assertThat(om).contains("# {"); // tracing is on: there are exemplars
    assertThat(om.lines().filter(l -> l.contains(" # {")))
        .allSatisfy(l -> assertThat(l.substring(0, l.indexOf(' '))).matches("[^{]*(_bucket|_total)(\\{.*)?"));

    List<Path> rules;
    try (Stream<Path> files = Files.list(RULES)) {
      rules = files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(rules).isNotEmpty();
    // the app, and the servers it calls (the simulators' /metrics), as a deployment would scrape them
    URI triton = URI.create(environment.getProperty("inferscope.triton.endpoints.vision.metrics.url"));
    URI vllm = URI.create(environment.getProperty("inferscope.vllm.endpoints.chat.base-url"));
    List<PrometheusServer.Target> targets = List.of(
        new PrometheusServer.Target("app", "127.0.0.1:" + port, "/actuator/prometheus"),
        new PrometheusServer.Target("triton", triton.getHost() + ":" + triton.getPort(), triton.getPath()),
        new PrometheusServer.Target("vllm", vllm.getHost() + ":" + vllm.getPort(), "/metrics"));
    try (PrometheusServer prometheus = PrometheusServer.start(targets, rules, tmp)) {
      // a real scrape loop: wait for the first scrape (1 s interval), then for the rules' first evaluation
      Eventually.value(() -> count(prometheus, "up == 1"), n -> n >= 3, Duration.ofSeconds(30));
      List<Object> up = prometheus.query("up{job=\"app\"}");
      assertThat(up).as(prometheus.targets()).hasSize(1);
      assertThat(value(up.get(0))).as("up; targets: " + prometheus.targets()).isEqualTo("1");
      assertThat(prometheus.query("inference_client_duration_seconds_count{model=\"resnet50\"}")).isNotEmpty();
      // every group evaluated at least once ("0001-01-01" is the zero time of a group not yet run)
      Eventually.value(() -> evaluated(prometheus), n -> n == 1, Duration.ofSeconds(30));
      String ruleState = prometheus.rules();
      assertThat(ruleState).contains("\"groups\"").doesNotContain("\"health\":\"err\"");
      // every recording rule returns a series once rate() has two samples of each input
      for (String record : recordingRules(rules)) {
        Eventually.value(() -> count(prometheus, record), n -> n >= 1, Duration.ofSeconds(30));
        assertThat(prometheus.query(record)).as("recording rule " + record + "; targets: " + prometheus.targets())
            .isNotEmpty();
      }
      // and no dashboard query errors on the real server (empty answers are allowed: no GPU drift here)
      for (Path d : dashboards()) {
        JsonNode dash = JsonMapper.builder().build().readTree(Files.readString(d));
        for (JsonNode panel : dash.path("panels")) {
          for (JsonNode t : panel.path("targets")) {
            String expr = t.path("expr").asString("");
            if (!expr.isEmpty()) {
              prometheus.query(dev.inferscope.testkit.prometheus.Promtool.withSampleVariables(expr)); // fails on error
            }
          }
        }
      }
    }
  }

  /** The {@code record:} names of the rule files. */
  private static List<String> recordingRules(List<Path> files) throws java.io.IOException {
    List<String> out = new java.util.ArrayList<>();
    for (Path f : files) {
      for (String line : Files.readAllLines(f)) {
        String l = line.trim();
        if (l.startsWith("- record:")) {
          out.add(l.substring("- record:".length()).trim());
        }
      }
    }
    return out;
  }

  private static List<Path> dashboards() throws java.io.IOException {
    try (Stream<Path> files = Files.list(Path.of("..", "..", "observability", "grafana", "dashboards"))) {
      return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
  }

  private static long count(PrometheusServer p, String promql) {
    try {
      return p.query(promql).size();
    } catch (Exception e) {
      return -1;
    }
  }

  private static long evaluated(PrometheusServer p) {
    try {
      String rules = p.rules();
      return rules.contains("\"lastEvaluation\"") && !rules.contains("0001-01-01") ? 1 : 0;
    } catch (Exception e) {
      return -1;
    }
  }

  @SuppressWarnings("unchecked")
  private static String value(Object sample) {
    List<Object> v = (List<Object>) ((Map<String, Object>) sample).get("value");
    return String.valueOf(v.get(1));
  }
}
