package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.SelfSignedCertificate;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.triton.TritonSimulator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gRPC over TLS and mutual TLS, with self-signed certificates made by the JDK's keytool in the test. */
class TritonTlsTest {
  @TempDir
  static Path dir;
  private final TelemetryCapture capture = new TelemetryCapture();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  private static SelfSignedCertificate server;
  private static SelfSignedCertificate client;

  @BeforeAll
  static void certificates() {
    server = SelfSignedCertificate.create(dir, "server");
    client = SelfSignedCertificate.create(dir, "client");
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    capture.close();
  }

  private <T extends AutoCloseable> T keep(T c) {
    closeables.add(0, c);
    return c;
  }

  private static InferRequest small() {
    return InferRequest.builder("echo").input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f)).build();
  }

  private TritonSimulator sim(boolean mutual) throws Exception {
    TritonSimulator.Builder b = TritonSimulator.builder()
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build()).tls(server.keyManagers());
    if (mutual) {
      b.requireClientCertificates(client.trustManagers()); // the server trusts the client's certificate
    }
    return keep(b.start());
  }

  @Test
  void tlsWithATrustedSelfSignedCertificate() throws Exception {
    TritonSimulator s = sim(false);
    TritonClient t = keep(TritonClient.grpc(s.grpcTarget()).trustCertificates(server.certificatePem().toFile())
        .telemetry(capture.telemetry()).resilience(ResiliencePolicy.none()).build());
    assertThat(t.infer(small()).output("OUTPUT0").asFloats()).containsExactly(1f, 2f, 3f, 4f);
    TritonClient untrusting = keep(TritonClient.grpc(s.grpcTarget()).tls(true).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none()).build());
    assertThat(catchThrowableOfType(InferenceException.class, () -> untrusting.infer(small())).errorType())
        .isEqualTo(ErrorType.UNAVAILABLE);
    TritonClient plain = keep(TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none()).build());
    assertThat(catchThrowableOfType(InferenceException.class, () -> plain.infer(small())).errorType())
        .isEqualTo(ErrorType.UNAVAILABLE);
  }

  @Test
  void mutualTlsNeedsTheClientCertificate() throws Exception {
    TritonSimulator s = sim(true);
    TritonClient withKey = keep(TritonClient.grpc(s.grpcTarget()).trustCertificates(server.certificatePem().toFile())
        .keyManager(client.keyManagers()).telemetry(capture.telemetry()).resilience(ResiliencePolicy.none()).build());
    assertThat(withKey.infer(small()).output("OUTPUT0").asFloats()).hasSize(4);
    TritonClient withoutKey = keep(TritonClient.grpc(s.grpcTarget()).trustCertificates(server.certificatePem().toFile())
        .telemetry(capture.telemetry()).resilience(ResiliencePolicy.none()).build());
    assertThat(catchThrowableOfType(InferenceException.class, () -> withoutKey.infer(small())).errorType())
        .isEqualTo(ErrorType.UNAVAILABLE);
  }
}
