package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS to the vLLM simulator with a self-signed certificate made by the JDK's keytool in the test. */
class VllmTlsTest {
  private static final char[] PASS = "changeit".toCharArray();
  private static final String CANARY = "CANARY-tls-71c3";
  @TempDir
  static Path dir;
  private final TelemetryCapture capture = new TelemetryCapture();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
  }

  @BeforeAll
  static void certificates() throws Exception {
    for (String who : new String[] {"server", "stranger"}) {
      keytool("-genkeypair", "-alias", who, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + who,
          "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
          "-keystore", who + ".p12", "-storepass", "changeit", "-keypass", "changeit");
      keytool("-exportcert", "-alias", who, "-keystore", who + ".p12", "-storepass", "changeit", "-rfc",
          "-file", who + ".pem");
      keytool("-importcert", "-noprompt", "-alias", who, "-file", who + ".pem", "-keystore", who + "-trust.p12",
          "-storetype", "PKCS12", "-storepass", "changeit");
    }
  }

  private static KeyStore load(String file) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(file))) {
      ks.load(in, PASS);
    }
    return ks;
  }

  private static SSLContext serverContext() throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(load("server.p12"), PASS);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  private static SSLContext trusting(String trustFile) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(load(trustFile));
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    capture.close();
  }

  private VllmSimulator https() throws Exception {
    VllmSimulator s = VllmSimulator.builder().tls(serverContext()).apiKey("sk-" + CANARY)
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
    VllmClient client = client(s, trusting("server-trust.p12"));
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
    VllmClient client = client(s, trusting("stranger-trust.p12"));
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
