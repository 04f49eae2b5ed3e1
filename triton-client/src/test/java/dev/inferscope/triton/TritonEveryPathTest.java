package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.testkit.FaultyServer;
import dev.inferscope.testkit.HostileHttp;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Issue 15's Triton examples beyond the call-path contract. */
class TritonEveryPathTest {
  /**
   * A generate stream cancelled from another thread between responses throws CANCELLED to its reader and
   * ends its call once as cancelled; one whose deadline expires mid-stream throws DEADLINE_EXCEEDED with
   * the responses it had — over gRPC ModelStreamInfer and HTTP generate_stream alike.
   */
  @Test
  void generateEndsAsTheReaderSawItOnGrpcAndHttp() throws Exception {
    try (dev.inferscope.testkit.triton.TritonSimulator sim = dev.inferscope.testkit.triton.TritonSimulator.builder()
        .model(dev.inferscope.testkit.SimulatedModel.llm("llm")
            .generation(Duration.ofMillis(5), Duration.ofMillis(50), 40).build()).start()) {
      for (boolean grpc : new boolean[] {true, false}) {
        java.util.List<dev.inferscope.core.CallRecord> ends = new java.util.concurrent.CopyOnWriteArrayList<>();
        TritonClient.Builder b = grpc ? TritonClient.grpc(sim.grpcTarget()) : TritonClient.http(sim.httpUri());
        try (TritonClient client = b.telemetry(InferenceTelemetry.builder().addListener(ends::add).build()).build()) {
          String path = grpc ? "grpc" : "http";
          GenerateStream s = client.generate(GenerateRequest.builder("llm", "hi").stream(true).build());
          assertThat(s.next()).as(path).isNotNull();
          java.util.concurrent.CompletableFuture.runAsync(s::cancel).get(5, java.util.concurrent.TimeUnit.SECONDS);
          dev.inferscope.core.InferenceException e = org.assertj.core.api.Assertions.catchThrowableOfType(
              dev.inferscope.core.InferenceException.class, s::collectText);
          assertThat(e.errorType()).as(path).isEqualTo(dev.inferscope.core.ErrorType.CANCELLED);
          assertThat(ends).as(path).hasSize(1);
          assertThat(ends.get(0).outcome()).as(path).isEqualTo(dev.inferscope.core.Outcome.CANCELLED);

          ends.clear();
          GenerateStream late = client.generate(GenerateRequest.builder("llm", "hi").stream(true).build(),
              dev.inferscope.core.Deadline.after(Duration.ofMillis(300)));
          dev.inferscope.core.InferenceException d = org.assertj.core.api.Assertions.catchThrowableOfType(
              dev.inferscope.core.InferenceException.class, late::collectText);
          assertThat(d.errorType()).as(path).isEqualTo(dev.inferscope.core.ErrorType.DEADLINE_EXCEEDED);
          assertThat(d.chunksReceived()).as(path).isPositive();
          assertThat(dev.inferscope.testkit.Eventually.value(ends::size, n -> n >= 1, Duration.ofSeconds(2)))
              .as(path).isEqualTo(1);
          assertThat(ends.get(0).errorType()).as(path).isEqualTo(dev.inferscope.core.ErrorType.DEADLINE_EXCEEDED);
        }
      }
    }
  }

  @Test
  void aPausedGenerateStreamReaderPausesTheConnection() throws Exception {
    AtomicLong written = new AtomicLong();
    // one generate_stream event (triton-inference-server/server docs/protocol/extension_generate.md:
    // model_name, text_output as server-sent events), 1,000 characters of text each
    byte[] event = ("data: {\"model_name\":\"m\",\"text_output\":\"" + "t".repeat(1000) + "\"}\n\n")
        .getBytes(StandardCharsets.UTF_8);
    long total = 64L << 20; // 64 MiB of events, far more than any socket buffer and window hold
    HostileHttp stream = HostileHttp.answering((OutputStream out) -> {
      out.write(HostileHttp.head(200, "Content-Type", "text/event-stream"));
      for (long sent = 0; sent < total; sent += event.length) {
        out.write(event);
        written.addAndGet(event.length);
      }
    });
    try (FaultyServer server = new FaultyServer(stream);
        TritonClient client = TritonClient.http(server.httpUri()).telemetry(InferenceTelemetry.noop())
            .defaultDeadline(Duration.ofSeconds(30)).build()) {
      GenerateStream s = client.generate(GenerateRequest.builder("m", "hi").stream(true).build());
      assertThat(s.next().text()).hasSize(1000);
      // the reader pauses: what the server manages to write stays bounded by the socket buffers and the
      // client's small read-ahead window, instead of the whole stream queueing in the client's memory
      long before;
      long after = written.get();
      do {
        before = after;
        java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
        after = written.get();
      } while (after != before);
      assertThat(after).isLessThan(16L << 20);
      s.cancel();
    }
  }

  @Test
  void aCallersHttpClientIsNeverClosed() throws Exception {
    HttpClient mine = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    // server metadata (kserve open-inference-protocol: name, version, extensions)
    byte[] ok = "{\"name\":\"triton\",\"version\":\"2.62.0\",\"extensions\":[]}".getBytes(StandardCharsets.UTF_8);
    try (FaultyServer server = new FaultyServer(HostileHttp.answering(HostileHttp.body(200, ok,
        "Content-Type", "application/json")))) {
      TritonClient client = TritonClient.http(server.httpUri()).httpClient(mine).build();
      assertThat(client.serverMetadata().name()).isEqualTo("triton");
      client.close();
      // on Java 21+ a closed HttpClient refuses new requests; the caller's must still work
      HttpResponse<String> r = mine.send(HttpRequest.newBuilder(URI.create(server.httpUri() + "/v2")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void impossibleSettingsFailAtBuildTimeNamingTheSetting() {
    TritonClient.Builder b = TritonClient.http(URI.create("http://127.0.0.1:8000"));
    assertThatThrownBy(() -> b.defaultDeadline(ChronoUnit.FOREVER.getDuration())).hasMessageContaining("defaultDeadline");
    assertThatThrownBy(() -> b.maxInboundMessageSize(-1)).hasMessageContaining("maxInboundMessageSize");
    assertThatThrownBy(() -> b.header("a b", "v")).hasMessageContaining("header");
    assertThatThrownBy(() -> b.statisticsPolling(Duration.ZERO, "m")).hasMessageContaining("statisticsPolling");
    assertThatThrownBy(() -> b.scrapeMetrics(URI.create("http://x/metrics"), Duration.ofSeconds(-1)))
        .hasMessageContaining("scrapeMetrics");
    assertThatThrownBy(() -> TritonClient.http(URI.create("file:///tmp/x"))).hasMessageContaining("url");
    assertThatThrownBy(() -> TritonClient.grpc("triton:99999").build()).hasMessageContaining("port");
    assertThatThrownBy(() -> TritonClient.grpc("triton:abc").build()).hasMessageContaining("port");
  }
}
