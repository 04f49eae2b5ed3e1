package dev.inferscope.testkit;

import dev.inferscope.testkit.triton.TritonSimulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.testkit.vllm.VllmSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SimulatorExtensionTest {
  @RegisterExtension
  static final SimulatorExtension<VllmSimulator> VLLM = SimulatorExtension.of(VllmSimulator::start);

  @RegisterExtension
  final SimulatorExtension<TritonSimulator> triton = SimulatorExtension.of(() -> TritonSimulator.builder()
      .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build()).start());

  private static URI seenVllm;

  @Test
  void simulatorsRunDuringTheTest() throws Exception {
    seenVllm = VLLM.get().baseUri();
    HttpClient http = HttpClient.newHttpClient();
    assertThat(http.send(HttpRequest.newBuilder(URI.create(seenVllm + "/health")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
    assertThat(http.send(HttpRequest.newBuilder(URI.create(triton.get().httpUri() + "/v2/health/ready")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
  }

  @AfterAll
  static void vllmStillRunsUntilTheClassEnds() throws Exception {
    assertThat(VLLM.get().baseUri()).isEqualTo(seenVllm);
  }
}
