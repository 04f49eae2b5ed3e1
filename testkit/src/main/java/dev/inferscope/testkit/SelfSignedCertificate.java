package dev.inferscope.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed EC certificate for 127.0.0.1 and localhost, made by the running JDK's {@code keytool} in
 * a folder of the test's (e.g. a JUnit {@code @TempDir}), valid for two days. Gives the key managers
 * (for the server, or a client in mutual TLS), trust managers and contexts that trust exactly this
 * certificate, and its PEM file.
 */
public final class SelfSignedCertificate {
  private static final char[] PASSWORD = "changeit".toCharArray();

  private final Path keyStore;
  private final Path pem;
  private final Path trustStore;

  private SelfSignedCertificate(Path keyStore, Path pem, Path trustStore) {
    this.keyStore = keyStore;
    this.pem = pem;
    this.trustStore = trustStore;
  }

  /** Makes the certificate {@code CN=<name>} in {@code dir} ({@code <name>.p12}, {@code .pem}, {@code -trust.p12}). */
  public static SelfSignedCertificate create(Path dir, String name) {
    keytool(dir, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", name + ".p12", "-storepass", "changeit", "-keypass", "changeit");
    keytool(dir, "-exportcert", "-alias", name, "-keystore", name + ".p12", "-storepass", "changeit", "-rfc",
        "-file", name + ".pem");
    keytool(dir, "-importcert", "-noprompt", "-alias", name, "-file", name + ".pem", "-keystore",
        name + "-trust.p12", "-storetype", "PKCS12", "-storepass", "changeit");
    return new SelfSignedCertificate(dir.resolve(name + ".p12"), dir.resolve(name + ".pem"),
        dir.resolve(name + "-trust.p12"));
  }

  /** The certificate as PEM. */
  public Path certificatePem() {
    return pem;
  }

  /** Key managers holding this certificate and its private key. */
  public KeyManagerFactory keyManagers() {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(keyStore), PASSWORD);
      return kmf;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read " + keyStore, e);
    }
  }

  /** Trust managers that trust this certificate only. */
  public TrustManagerFactory trustManagers() {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(load(trustStore));
      return tmf;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read " + trustStore, e);
    }
  }

  /** A TLS context that presents this certificate (a server's). */
  public SSLContext serverContext() {
    return context(keyManagers(), null);
  }

  /** A TLS context that trusts this certificate only (a client's). */
  public SSLContext trustingContext() {
    return context(null, trustManagers());
  }

  private static SSLContext context(KeyManagerFactory keys, TrustManagerFactory trust) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS", e);
    }
  }

  private static KeyStore load(Path file) throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, PASSWORD);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
    return ks;
  }

  private static void keytool(Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("keytool failed: " + String.join(" ", cmd) + "\n" + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run keytool", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
  }
}
