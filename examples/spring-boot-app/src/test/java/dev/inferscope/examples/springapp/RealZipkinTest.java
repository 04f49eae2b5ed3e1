package dev.inferscope.examples.springapp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.testkit.zipkin.ZipkinServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real Zipkin 3.6.1 (the {@code io.zipkin:zipkin-server} exec jar, in-memory, on 127.0.0.1) receives the
 * example's spans through the path Spring Boot 4.1 offers on its own versions: {@code spring-boot-zipkin} and
 * OpenTelemetry's {@code opentelemetry-exporter-zipkin} 1.62.0 (Boot's OpenTelemetry), no version override.
 * The test reads the traces back from Zipkin's API and checks the tree: the app's SERVER span, and under it
 * exactly one Inferscope CLIENT span per inference call, with the phases, GenAI and GPU tags.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RealZipkinTest {
  private static final String SERVICE = "inferscope-example"; // spring.application.name
  private static ZipkinServer zipkin;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void zipkin(DynamicPropertyRegistry registry) throws Exception {
    Path scratch = Files.createTempDirectory("zipkin");
    zipkin = ZipkinServer.start(scratch);
    registry.add("management.tracing.export.zipkin.enabled", () -> "true");
    registry.add("management.tracing.export.zipkin.endpoint", () -> zipkin.spansEndpoint().toString());
    registry.add("management.opentelemetry.tracing.export.schedule-delay", () -> "200ms");
  }

  @AfterAll
  static void stop() {
    if (zipkin != null) {
      zipkin.close();
    }
  }

  private int post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void zipkinReceivesOneInferenceClientSpanUnderEachServerSpan() throws Exception {
    assertThat(post("/classify", "{\"seed\":1}")).isEqualTo(200);
    assertThat(post("/chat", "{\"message\":\"hi\"}")).isEqualTo(200);

    // the batch processor exports every 200 ms; Zipkin indexes what it receives at once
    dev.inferscope.testkit.Eventually.value(() -> {
      try {
        return withInference(zipkin.traces(SERVICE)).size();
      } catch (Exception e) {
        return -1;
      }
    }, n -> n >= 2, Duration.ofSeconds(30));
    List<List<Map<String, Object>>> traces = withInference(zipkin.traces(SERVICE));
    assertThat(traces).as("traces in Zipkin; its log: " + zipkin.log()).hasSizeGreaterThanOrEqualTo(2);
    List<List<Map<String, Object>>> found = traces;
    for (String operation : List.of("infer resnet50", "chat llama-3-8b")) {
      List<Map<String, Object>> trace = found.stream()
          .filter(t -> t.stream().anyMatch(s -> operation.equals(s.get("name")))).findFirst()
          .orElseThrow(() -> new AssertionError("no trace with " + operation + " in " + found));
      Map<String, Map<String, Object>> byId = new HashMap<>();
      trace.forEach(s -> byId.put((String) s.get("id"), s));
      List<Map<String, Object>> inference = trace.stream().filter(s -> operation.equals(s.get("name"))).toList();
      assertThat(inference).as("one Inferscope span per call in " + trace).hasSize(1);
      Map<String, Object> span = inference.get(0);
      assertThat(span.get("kind")).isEqualTo("CLIENT");
      // its ancestors lead to the app's SERVER span for the request
      Map<String, Object> server = null;
      for (Map<String, Object> s = span; s != null; s = byId.get((String) s.get("parentId"))) {
        if ("SERVER".equals(s.get("kind"))) {
          server = s;
          break;
        }
      }
      assertThat(server).as("a SERVER ancestor of " + operation + " in " + trace).isNotNull();
      @SuppressWarnings("unchecked")
      Map<String, Object> tags = (Map<String, Object>) span.get("tags");
      assertThat(tags).containsKeys("inference.phase.network.duration", "inference.server_timing.source",
          "inference.system", "hw.id");
      if (operation.startsWith("chat")) {
        assertThat(tags).containsEntry("gen_ai.operation.name", "chat").containsKey("gen_ai.usage.output_tokens");
      } else {
        // the first call may come before Triton's first statistics scrape: its server phases are then unknown
        assertThat(tags).containsEntry("rpc.method", "inference.GRPCInferenceService/ModelInfer").containsKey("inference.phase.serialize.duration");
      }
    }
  }

  /** The traces that hold an Inferscope span (probes and other traces left out). */
  private static List<List<Map<String, Object>>> withInference(List<List<Map<String, Object>>> traces) {
    return traces.stream().filter(t -> t.stream().anyMatch(s -> {
      Object name = s.get("name");
      return "infer resnet50".equals(name) || "chat llama-3-8b".equals(name);
    })).toList();
  }
}
