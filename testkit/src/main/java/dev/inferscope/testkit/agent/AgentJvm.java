package dev.inferscope.testkit.agent;

import dev.inferscope.core.internal.Json;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assertions;

/**
 * Runs a main class in a child JVM under the OpenTelemetry Java agent
 * ({@code io.opentelemetry.javaagent:opentelemetry-javaagent}), with the test's class path, and reads back
 * every span the agent exported: the agent is configured with its {@code logging-otlp} exporter, which
 * prints each batch as OTLP JSON, and this parses those lines. Metrics and logs export is off. The child
 * is killed after the timeout.
 */
public final class AgentJvm {
  /** The system property that names the agent jar (set by the module's build). */
  public static final String AGENT_PROPERTY = "inferscope.javaagent";

  private AgentJvm() {}

  /** One exported span. {@code parentSpanId} is empty for a root. */
  public record ExportedSpan(String scope, String traceId, String spanId, String parentSpanId, String name,
      int kind, Map<String, Object> attributes) {
    /** OTLP's {@code SPAN_KIND_CLIENT}. */
    public static final int CLIENT = 3;
    /** OTLP's {@code SPAN_KIND_SERVER}. */
    public static final int SERVER = 2;

    public boolean isRoot() {
      return parentSpanId.isEmpty();
    }
  }

  /** The child's exit status, its output, and the spans it exported. */
  public record Result(int exit, String output, List<ExportedSpan> spans) {
    /** The lines of the output that start with {@code prefix}, without it. */
    public List<String> lines(String prefix) {
      List<String> out = new ArrayList<>();
      for (String l : output.split("\n")) {
        if (l.startsWith(prefix)) {
          out.add(l.substring(prefix.length()).trim());
        }
      }
      return out;
    }
  }

  /** The agent jar named by {@value #AGENT_PROPERTY}; fails the test when it is not there. */
  public static Path agentJar() {
    String p = System.getProperty(AGENT_PROPERTY);
    if (p == null || !Files.isRegularFile(Path.of(p))) {
      Assertions.fail("the OpenTelemetry Java agent jar is not at -D" + AGENT_PROPERTY + "=" + p
          + " (the module's build copies it there from Maven Central)");
    }
    return Path.of(p);
  }

  /**
   * Runs {@code main} under the agent with extra {@code -D} settings (for example
   * {@code otel.instrumentation.grpc.enabled=false}).
   */
  public static Result run(Path agent, Class<?> main, Map<String, String> settings, Duration timeout, Path scratch)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-javaagent:" + agent);
    Map<String, String> all = new LinkedHashMap<>();
    all.put("otel.traces.exporter", "logging-otlp");
    all.put("otel.metrics.exporter", "none");
    all.put("otel.logs.exporter", "none");
    all.put("otel.bsp.schedule.delay", "50");
    all.put("otel.service.name", "inferscope-agent-test");
    all.putAll(settings);
    all.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    File out = Files.createTempFile(scratch, "agent-jvm-", ".out").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Assertions.fail(main.getSimpleName() + " under the agent did not finish within " + timeout + ":\n"
          + Files.readString(out.toPath(), StandardCharsets.UTF_8));
    }
    String output = Files.readString(out.toPath(), StandardCharsets.UTF_8);
    return new Result(p.exitValue(), output, spans(output));
  }

  /** The spans of every OTLP JSON batch the logging-otlp exporter printed. */
  static List<ExportedSpan> spans(String output) {
    List<ExportedSpan> out = new ArrayList<>();
    for (String line : output.split("\n")) {
      int json = line.indexOf("{\"resource\"");
      if (json < 0 || !line.contains("OtlpJsonLoggingSpanExporter")) {
        continue;
      }
      Map<String, Object> batch = Json.parseObject(line.substring(json), "OTLP JSON");
      for (Object ss : list(batch.get("scopeSpans"))) {
        Map<String, Object> scopeSpans = map(ss);
        String scope = String.valueOf(map(scopeSpans.get("scope")).get("name"));
        for (Object s : list(scopeSpans.get("spans"))) {
          Map<String, Object> span = map(s);
          Map<String, Object> attrs = new LinkedHashMap<>();
          for (Object a : list(span.get("attributes"))) {
            Map<String, Object> kv = map(a);
            Map<String, Object> value = map(kv.get("value"));
            attrs.put(String.valueOf(kv.get("key")), value.isEmpty() ? null : value.values().iterator().next());
          }
          Object parent = span.get("parentSpanId");
          out.add(new ExportedSpan(scope, String.valueOf(span.get("traceId")), String.valueOf(span.get("spanId")),
              parent == null ? "" : String.valueOf(parent), String.valueOf(span.get("name")),
              ((Number) span.get("kind")).intValue(), attrs));
        }
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(@Nullable Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(@Nullable Object o) {
    return o instanceof List<?> l ? (List<Object>) l : List.of();
  }
}
