package dev.inferscope.examples.springapp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.testkit.prometheus.Promtool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example tags its calls with the A/B experiment and variant of the HTTP request (X-Experiment,
 * X-Variant, through Baggage), and its classifier reports a confidence: scraped from
 * {@code /actuator/prometheus}, the quality dashboard's A/B and confidence queries return data
 * (evaluated by promtool on the real scrape). A header outside the configured experiments is not a tag.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "example.experiments=checkout-v2,search-ranking")
class ExperimentTaggingTest {
  /** The dashboard, from the repository's observability module. */
  private static final Path QUALITY = Path.of("..", "..", "observability", "grafana", "dashboards", "quality.json");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  int port;

  @TempDir
  Path tmp;

  private HttpResponse<String> send(String path, String body, String experiment, String variant) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30));
    if (body == null) {
      b.GET();
    } else {
      b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    }
    if (experiment != null) {
      b.header("X-Experiment", experiment).header("X-Variant", variant);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void headersTagCallsAndTheQualityDashboardsQueriesReturnData() throws Exception {
    String promtool = Promtool.require();
    for (String variant : List.of("a", "b")) {
      for (int i = 0; i < 4; i++) {
        assertThat(send("/classify", "{\"seed\":" + i + "}", "checkout-v2", variant).statusCode()).isEqualTo(200);
        assertThat(send("/chat", "{\"message\":\"hi\"}", "checkout-v2", variant).statusCode()).isEqualTo(200);
      }
    }
    // not a configured experiment: the call is made, and untagged
    assertThat(send("/classify", "{\"seed\":9}", "made-up-7f2c", "a").statusCode()).isEqualTo(200);
    String scrape = send("/actuator/prometheus", null, null, null).body();
    // the series count the README quotes (every sample line of the scrape)
    System.out.println("example scrape: " + scrape.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count()
        + " series, of which inference_client_phase_duration: "
        + scrape.lines().filter(l -> l.startsWith("inference_client_phase_duration")).count());
    assertThat(scrape)
        .containsPattern("inference_client_duration_seconds_count\\{[^}]*experiment=\"checkout-v2\"[^}]*model=\"resnet50\""
            + "[^}]*variant=\"a\"")
        .containsPattern("inference_client_duration_seconds_count\\{[^}]*experiment=\"checkout-v2\"[^}]*model=\"llama-3-8b\""
            + "[^}]*variant=\"b\"")
        .contains("inference_prediction_confidence_count{")
        .doesNotContain("made-up-7f2c");

    Map<String, String> queries = new LinkedHashMap<>();
    JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(QUALITY));
    for (JsonNode panel : dashboard.path("panels")) {
      String title = panel.path("title").asString("");
      if (title.startsWith("A/B") || title.contains("confidence")) {
        for (JsonNode t : panel.path("targets")) {
          queries.put(title, Promtool.withSampleVariables(t.path("expr").asString("")));
        }
      }
    }
    assertThat(queries).containsKeys("A/B: traffic share per variant", "A/B: p99 latency per variant",
        "A/B: error ratio per variant", "Mean prediction confidence", "Low-confidence share");
    Path test = tmp.resolve("quality-on-the-example.yml");
    Files.writeString(test, Promtool.queriesReturnDataTest(scrape, queries.values(), List.of()));
    Promtool.Result r = Promtool.run(List.of(promtool, "test", "rules", test.toString()), tmp, tmp);
    assertThat(r.exit()).as("quality dashboard queries with no data from the example's scrape:\n" + r.output())
        .isZero();
  }
}
