package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SelfSignedCertificate;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS to the vLLM simulator with a self-signed certificate made by the JDK's keytool in the test. */
class VllmTlsTest {
  private static final String CANARY = "CANARY-tls-71c3";
  @TempDir
  static Path dir;
  private final TelemetryCapture capture = new TelemetryCapture();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private static SelfSignedCertificate server;
  private static SelfSignedCertificate stranger;

  @BeforeAll
  static void certificates() {
    server = SelfSignedCertificate.create(dir, "server");
    stranger = SelfSignedCertificate.create(dir, "stranger");
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    capture.close();
  }

  private VllmSimulator https() throws Exception {
    VllmSimulator s = VllmSimulator.builder().tls(server.serverContext()).apiKey("sk-" + CANARY)
        .timeToFirstToken(java.time.Duration.ofMillis(5)).interTokenGap(java.time.Duration.ofMillis(1))
        .tokensPerResponse(4).start();
    closeables.add(s);
    return s;
  }

  private VllmClient client(VllmSimulator s, SSLContext ctx) {
    VllmClient c = VllmClient.builder(s.baseUri()).sslContext(ctx).apiKey("sk-" + CANARY)
        .telemetry(capture.telemetry()).resilience(ResiliencePolicy.none()).build();
    closeables.add(c);
    return c;
  }

  @Test
  void streamsOverHttpsWithATrustedSelfSignedCertificate() throws Exception {
    VllmSimulator s = https();
    assertThat(s.baseUri().getScheme()).isEqualTo("https");
    VllmClient client = client(s, server.trustingContext());
    ChatRequest request = ChatRequest.builder("sim-llm").user("tell me about " + CANARY).build();
    try (CompletionStream stream = client.chatStream(request)) {
      assertThat(stream.collect().text()).isEqualTo("tok0 tok1 tok2 tok3");
    }
    assertThat(client.chat(request).text()).isEqualTo("tok0 tok1 tok2 tok3");
    List<VllmSimulator.RecordedRequest> seen = s.requests("/v1/chat/completions");
    assertThat(seen).hasSize(2).allSatisfy(r -> {
      assertThat(r.authorized()).isTrue();
      assertThat(r.completed()).isTrue();
      assertThat(r.traceparent()).isNotNull();
    });
    SpanData span = capture.spans().get(capture.spans().size() - 1);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("127.0.0.1");
    assertThat(capture.everythingRecorded()).doesNotContain(CANARY);
    assertThat(client.toString()).doesNotContain(CANARY);
  }

  @Test
  void anUntrustedCertificateIsRefusedAndNothingIsSent() throws Exception {
    VllmSimulator s = https();
    VllmClient client = client(s, stranger.trustingContext());
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> client.chat(ChatRequest.builder("sim-llm").user(CANARY).build()));
    assertThat(e.errorType()).isEqualTo(ErrorType.UNAVAILABLE);
    assertThat(e.getMessage()).contains("SSLHandshakeException").doesNotContain(CANARY);
    assertThat(s.requests()).isEmpty();
    assertThat(capture.everythingRecorded()).doesNotContain(CANARY);
  }

  @Test
  void aPlainHttpClientCannotTalkToTheHttpsServer() throws Exception {
    VllmSimulator s = https();
    VllmClient plain = VllmClient.builder(java.net.URI.create("http://127.0.0.1:" + s.port()))
        .telemetry(capture.telemetry()).resilience(ResiliencePolicy.none())
        .defaultDeadline(java.time.Duration.ofSeconds(5)).build();
    closeables.add(plain);
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> plain.chat(ChatRequest.builder("sim-llm").user("hi").build()));
    assertThat(e.errorType()).isIn(ErrorType.UNAVAILABLE, ErrorType.PROTOCOL);
    assertThat(s.requests()).isEmpty();
  }
}
