package dev.inferscope.examples.springapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example on its default profile (in-process simulators): under the backlog scenario the
 * client-perceived {@code inference} health is DEGRADED while the servers' readiness is UP; Prometheus
 * exposes Inferscope's histograms and GenAI meters; {@code /actuator/inference} has the per-phase JSON.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "inferscope.logging.sample-rate=1.0")
@ExtendWith(OutputCaptureExtension.class)
class ExampleApplicationTest {
  private static final String CANARY = "CANARY-9d1f-prompt-text";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  int port;

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest post(String path, String json) {
    return request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
  }

  @Test
  void backlogDegradesClientHealthWhileServersSayReady(CapturedOutput output) throws Exception {
    // one chat call for the GenAI meters; its prompt is a canary that must not show up anywhere
    HttpResponse<String> chat = http.send(post("/chat", "{\"message\":\"" + CANARY + "\"}"),
        HttpResponse.BodyHandlers.ofString());
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    JsonNode answer = JSON.readTree(chat.body());
    assertThat(answer.get("reply").asString()).isNotEmpty();
    assertThat(answer.get("outputTokens").asLong()).isPositive();

    // before the backlog: healthy
    HttpResponse<String> before = http.send(post("/classify", "{\"seed\":1}"), HttpResponse.BodyHandlers.ofString());
    assertThat(before.statusCode()).as(before.body()).isEqualTo(200);
    assertThat(JSON.readTree(get("/actuator/health").body()).at("/components/inference/status").asString())
        .isEqualTo("UP");

    // the backlog: 10 callers on a 150 ms, single-instance model for about 3 seconds
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    AtomicInteger ok = new AtomicInteger();
    List<CompletableFuture<Void>> callers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int seed = i;
      callers.add(CompletableFuture.runAsync(() -> {
        while (System.nanoTime() < end) {
          try {
            HttpResponse<String> r = http.send(post("/classify", "{\"seed\":" + seed + "}"),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
              ok.incrementAndGet();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }));
    }
    CompletableFuture.allOf(callers.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
    assertThat(ok.get()).isGreaterThan(10);

    HttpResponse<String> healthResponse = get("/actuator/health");
    assertThat(healthResponse.statusCode()).isEqualTo(200);
    JsonNode health = JSON.readTree(healthResponse.body());
    assertThat(health.at("/components/inference/status").asString()).as(healthResponse.body()).isEqualTo("DEGRADED");
    assertThat(health.at("/components/inference/details/reasons").toString()).contains("vision/resnet50");
    assertThat(health.at("/components/inferenceServers/status").asString()).isEqualTo("UP");
    assertThat(health.at("/components/inferenceServers/components/vision/status").asString()).isEqualTo("UP");
    assertThat(health.at("/components/inferenceServers/components/vision/details/models/resnet50").asBoolean())
        .isTrue();
    assertThat(health.at("/components/inferenceServers/components/chat/status").asString()).isEqualTo("UP");
    assertThat(health.at("/status").asString()).isEqualTo("DEGRADED");

    String prometheus = get("/actuator/prometheus").body();
    assertThat(prometheus)
        .contains("inference_client_duration_seconds_bucket{")
        .contains("inference_client_phase_duration_seconds_bucket{")
        .containsPattern("inference_client_phase_duration_seconds_count\\{[^}]*model=\"resnet50\"[^}]*phase=\"server_queue\"")
        .contains("inference_client_active{")
        .contains("inference_server_queue_depth{")
        .contains("gen_ai_client_operation_duration_seconds_bucket{")
        .contains("gen_ai_client_token_usage")
        .contains("gen_ai_client_operation_time_to_first_chunk_seconds");

    JsonNode inference = JSON.readTree(get("/actuator/inference").body());
    JsonNode resnet = inference.at("/endpoints/vision/models/resnet50");
    assertThat(inference.at("/endpoints/vision/system").asString()).isEqualTo("triton");
    assertThat(resnet.get("calls").asLong()).isGreaterThan(10);
    assertThat(resnet.at("/totalMs/p99").asDouble()).isGreaterThanOrEqualTo(resnet.at("/totalMs/p50").asDouble());
    assertThat(resnet.at("/phasesMs/server_queue/p50").asDouble()).isGreaterThan(300);
    assertThat(resnet.at("/phasesMs/server_compute/p50").asDouble()).isBetween(100.0, 300.0);
    assertThat(resnet.at("/phasesMs/network/count").asInt()).isPositive();
    assertThat(resnet.get("circuitState").asString()).isEqualTo("CLOSED");
    assertThat(inference.at("/endpoints/chat/system").asString()).isEqualTo("vllm");
    assertThat(inference.at("/endpoints/chat/models/llama-3-8b/totalMs/p50").asDouble()).isPositive();
    assertThat(inference.at("/health/status").asString()).isEqualTo("DEGRADED");
    assertThat(inference.get("slowCalls").isArray()).isTrue();
    assertThat(inference.at("/gpu/source").asString()).isEqualTo("triton");
    assertThat(inference.at("/gpu/available").asBoolean()).isTrue();
    assertThat(inference.at("/gpu/devices/0/utilization").isNumber()).isTrue();
    assertThat(prometheus).contains("hw_gpu_utilization{");

    // every call was logged (sample rate 1.0), without the prompt; nor is it in any actuator answer
    assertThat(output.getAll()).contains("\"event\":\"inference.call\"").contains("\"operation\":\"chat\"")
        .doesNotContain(CANARY);
    assertThat(prometheus).doesNotContain(CANARY);
    assertThat(inference.toString()).doesNotContain(CANARY);
    assertThat(healthResponse.body()).doesNotContain(CANARY);
  }
}
