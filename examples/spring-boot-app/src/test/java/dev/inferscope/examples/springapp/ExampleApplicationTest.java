package dev.inferscope.examples.springapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExampleApplicationTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  int port;

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void chatThroughVllmAndItsMetrics() throws Exception {
    HttpResponse<String> chat = post("/chat", "{\"message\":\"hello\"}");
    assertThat(chat.statusCode()).isEqualTo(200);
    JsonNode answer = JSON.readTree(chat.body());
    assertThat(answer.get("reply").asString()).isNotEmpty();
    assertThat(answer.get("outputTokens").asLong()).isPositive();

    String prometheus = get("/actuator/prometheus").body();
    assertThat(prometheus).contains("gen_ai_client_operation_duration_seconds_bucket{")
        .contains("gen_ai_client_token_usage")
        .contains("inference_client_duration_seconds_bucket{");

    JsonNode inference = JSON.readTree(get("/actuator/inference").body());
    assertThat(inference.at("/endpoints/chat/models/llama-3-8b/totalMs/p50").asDouble()).isPositive();

    JsonNode health = JSON.readTree(get("/actuator/health").body());
    assertThat(health.at("/components/inferenceServers/components/chat/status").asString()).isEqualTo("UP");
  }
}
