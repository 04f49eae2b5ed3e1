package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.TritonSimulator;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gRPC over TLS and mutual TLS, with self-signed certificates made by the JDK's keytool in the test. */
class TritonTlsTest {
  private static final char[] PASS = "changeit".toCharArray();
  @TempDir
  static Path dir;
  private final TelemetryCapture capture = new TelemetryCapture();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  static void keytool(String... args) throws Exception {
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
    for (String who : new String[] {"server", "client"}) {
      keytool("-genkeypair", "-alias", who, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + who,
          "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
          "-keystore", who + ".p12", "-storepass", "changeit", "-keypass", "changeit");
      keytool("-exportcert", "-alias", who, "-keystore", who + ".p12", "-storepass", "changeit", "-rfc",
          "-file", who + ".pem");
    }
    keytool("-importcert", "-noprompt", "-alias", "client", "-file", "client.pem", "-keystore", "server-trust.p12",
        "-storetype", "PKCS12", "-storepass", "changeit");
  }

  static KeyStore load(String file) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(file))) {
      ks.load(in, PASS);
    }
    return ks;
  }

  static KeyManagerFactory keys(String file) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(load(file), PASS);
    return kmf;
  }

  static TrustManagerFactory trust(String file) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(load(file));
    return tmf;
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
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build()).tls(keys("server.p12"));
    if (mutual) {
      b.requireClientCertificates(trust("server-trust.p12"));
    }
    return keep(b.start());
  }

  @Test
  void tlsWithATrustedSelfSignedCertificate() throws Exception {
    TritonSimulator s = sim(false);
    TritonClient t = keep(TritonClient.grpc(s.grpcTarget()).trustCertificates(dir.resolve("server.pem").toFile())
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
    TritonClient withKey = keep(TritonClient.grpc(s.grpcTarget()).trustCertificates(dir.resolve("server.pem").toFile())
        .keyManager(keys("client.p12")).telemetry(capture.telemetry()).resilience(ResiliencePolicy.none()).build());
    assertThat(withKey.infer(small()).output("OUTPUT0").asFloats()).hasSize(4);
    TritonClient withoutKey = keep(TritonClient.grpc(s.grpcTarget()).trustCertificates(dir.resolve("server.pem").toFile())
        .telemetry(capture.telemetry()).resilience(ResiliencePolicy.none()).build());
    assertThat(catchThrowableOfType(InferenceException.class, () -> withoutKey.infer(small())).errorType())
        .isEqualTo(ErrorType.UNAVAILABLE);
  }
}
