package dev.inferscope.testkit.prometheus;

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
import org.junit.jupiter.api.Assumptions;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, 2.42) for tests: bound to 127.0.0.1 on a
 * free port, TSDB in a scratch directory, scraping one target every second; stopped by {@link #close()}.
 * Without the binary a test fails and says how to install it, unless {@code -Dinferscope.promtool.skip=true}
 * (the same switch as the promtool checks) skips it.
 */
public final class PrometheusServer implements AutoCloseable {
  private final Process process;
  private final URI base;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PrometheusServer(Process process, URI base, Path log) {
    this.process = process;
    this.base = base;
    this.log = log;
  }

  /** One scrape job: {@code hostPort} scraped at {@code metricsPath}. */
  public record Target(String job, String hostPort, String metricsPath) {}

  /**
   * Starts Prometheus scraping {@code target} ({@code host:port}) at {@code metricsPath} every second as job
   * {@code app}, with {@code ruleFiles} loaded.
   */
  public static PrometheusServer start(String target, String metricsPath, List<Path> ruleFiles, Path scratch)
      throws IOException, InterruptedException {
    return start(List.of(new Target("app", target, metricsPath)), ruleFiles, scratch);
  }

  /** Starts Prometheus scraping each target every second, with {@code ruleFiles} loaded. */
  public static PrometheusServer start(List<Target> targets, List<Path> ruleFiles, Path scratch)
      throws IOException, InterruptedException {
    if (Boolean.getBoolean(Promtool.SKIP_PROPERTY)) {
      Assumptions.abort("Prometheus server checks skipped because -D" + Promtool.SKIP_PROPERTY + "=true");
    }
    Path binary = Promtool.find(System.getProperty("inferscope.prometheus", "prometheus"));
    if (binary == null) {
      Assertions.fail("the prometheus server is not installed (Debian/Ubuntu: apt-get install prometheus), or skip"
          + " with -D" + Promtool.SKIP_PROPERTY + "=true");
    }
    int port = ChildProcesses.freeLoopbackPort();
    StringBuilder yaml = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
    if (!ruleFiles.isEmpty()) {
      yaml.append("rule_files:\n");
      for (Path r : ruleFiles) {
        yaml.append("  - ").append(Promtool.quoted(r.toAbsolutePath().toString())).append('\n');
      }
    }
    yaml.append("scrape_configs:\n");
    for (Target t : targets) {
      yaml.append("  - job_name: ").append(Promtool.quoted(t.job())).append("\n    metrics_path: ")
          .append(Promtool.quoted(t.metricsPath())).append("\n    static_configs:\n      - targets: [")
          .append(Promtool.quoted(t.hostPort())).append("]\n");
    }
    Path config = scratch.resolve("prometheus.yml");
    Files.writeString(config, yaml);
    Path data = Files.createDirectories(scratch.resolve("tsdb"));
    Path log = scratch.resolve("prometheus.log");
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + data, "--web.listen-address=127.0.0.1:" + port));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PrometheusServer server = new PrometheusServer(p, URI.create("http://127.0.0.1:" + port), log);
    ChildProcesses.awaitReady(p, "prometheus", Duration.ofSeconds(30), Duration.ofMillis(100),
        () -> server.get("/-/ready").statusCode() == 200, log);
    return server;
  }

  private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The result vector of an instant query, as parsed JSON ({@code data.result}). */
  @SuppressWarnings("unchecked")
  public List<Object> query(String promql) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    Map<String, Object> body = Json.parseObject(r.body(), "Prometheus query answer");
    if (!"success".equals(body.get("status"))) {
      Assertions.fail("query " + promql + " failed: " + r.body());
    }
    Object result = ((Map<String, Object>) body.get("data")).get("result");
    return result instanceof List<?> l ? (List<Object>) l : List.of();
  }

  /** The scrape target's health and last error ({@code /api/v1/targets}). */
  public String targets() throws IOException, InterruptedException {
    return get("/api/v1/targets").body();
  }

  /** The rule groups and their health ({@code /api/v1/rules}). */
  public String rules() throws IOException, InterruptedException {
    return get("/api/v1/rules").body();
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
