package dev.inferscope.testkit.zipkin;

import dev.inferscope.core.internal.Json;
import dev.inferscope.testkit.ChildProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;

/**
 * A real Zipkin server (the {@code io.zipkin:zipkin-server} exec jar from Maven Central, in-memory storage)
 * for tests: bound to 127.0.0.1 on a free port (Armeria's port list, which Zipkin's
 * {@code zipkin-server-shared.yml} builds from {@code server.port}, given whole on the command line with the
 * address), in a child JVM, stopped by {@link #close()}. Without the jar a test fails and names the
 * property that points at it.
 */
public final class ZipkinServer implements AutoCloseable {
  /** The system property naming the exec jar (the example's pom copies it into {@code target/zipkin}). */
  public static final String JAR_PROPERTY = "inferscope.zipkin.jar";
  private final Process process;
  private final URI base;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ZipkinServer(Process process, URI base, Path log) {
    this.process = process;
    this.base = base;
    this.log = log;
  }

  /** Starts Zipkin from the jar {@link #JAR_PROPERTY} names and waits (up to 90 s) until {@code /health} is UP. */
  public static ZipkinServer start(Path scratch) throws IOException, InterruptedException {
    String jar = System.getProperty(JAR_PROPERTY);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      Assertions.fail("no Zipkin server jar: -D" + JAR_PROPERTY + " must name io.zipkin:zipkin-server:exec (was "
          + jar + ")");
    }
    int port = ChildProcesses.freeLoopbackPort();
    Path log = scratch.resolve("zipkin.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar,
        "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].port=" + port, "--armeria.ports[0].protocols[0]=http",
        "--zipkin.storage.type=mem", "--zipkin.collector.scribe.enabled=false", "--logging.level.root=WARN"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    ZipkinServer server = new ZipkinServer(p, URI.create("http://127.0.0.1:" + port), log);
    ChildProcesses.awaitReady(p, "zipkin", Duration.ofSeconds(90), Duration.ofMillis(200), () -> {
      HttpResponse<String> h = server.get("/health");
      return h.statusCode() == 200 && h.body().contains("UP");
    }, log);
    return server;
  }

  /** Where spans are posted ({@code /api/v2/spans}). */
  public URI spansEndpoint() {
    return base.resolve("/api/v2/spans");
  }

  private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The stored traces of {@code service} ({@code /api/v2/traces}), each a list of Zipkin v2 spans as parsed
   * JSON maps ({@code traceId}, {@code id}, {@code parentId}, {@code kind}, {@code name}, {@code tags}, ...).
   */
  @SuppressWarnings("unchecked")
  public List<List<Map<String, Object>>> traces(String service) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/api/v2/traces?limit=100&lookback=3600000&serviceName="
        + URLEncoder.encode(service, StandardCharsets.UTF_8));
    if (r.statusCode() != 200) {
      Assertions.fail("zipkin /api/v2/traces answered " + r.statusCode() + ": " + r.body());
    }
    Object parsed = Json.parse(r.body().getBytes(StandardCharsets.UTF_8), "zipkin traces");
    List<List<Map<String, Object>>> out = new ArrayList<>();
    if (parsed instanceof List<?> traces) {
      for (Object t : traces) {
        out.add((List<Map<String, Object>>) t);
      }
    }
    return out;
  }

  /** What the server printed so far. */
  public String log() {
    return ChildProcesses.log(log);
  }

  @Override
  public void close() {
    ChildProcesses.stop(process);
  }
}
