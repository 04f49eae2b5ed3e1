package dev.inferscope.testkit.prometheus;

import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Prometheus's {@code promtool} (Debian's {@code prometheus} package, 2.42) for tests, and turns a
 * real {@code /metrics} scrape into promtool unit-test input so that PromQL queries (dashboard panels,
 * recording rules) can be checked to return data from what an application really exports. Without
 * promtool on the PATH (or at {@code -Dinferscope.promtool=/path/to/promtool}) a test that needs it fails
 * and says how to install it, unless {@code -Dinferscope.promtool.skip=true} is given, which skips it.
 */
public final class Promtool {
  public static final String SKIP_PROPERTY = "inferscope.promtool.skip";
  public static final String PROMTOOL_PROPERTY = "inferscope.promtool";
  public static final long TIMEOUT_SECONDS = 60;
  private static final Set<String> COUNTER_SUFFIXES = Set.of("_total", "_count", "_sum", "_bucket");

  private Promtool() {}

  /** The promtool executable; aborts (skips) or fails the calling test when there is none. */
  public static String require() {
    if (Boolean.getBoolean(SKIP_PROPERTY)) {
      Assumptions.abort("promtool checks skipped because -D" + SKIP_PROPERTY + "=true");
    }
    String wanted = System.getProperty(PROMTOOL_PROPERTY, "promtool");
    Path found = find(wanted);
    if (found == null) {
      Assertions.fail("promtool is not installed (looked for '" + wanted + "' on the PATH). Install it"
          + " (Debian/Ubuntu: apt-get install prometheus; or take promtool from a Prometheus 2.42+ release and put"
          + " it on the PATH or pass -D" + PROMTOOL_PROPERTY + "=/path/to/promtool), or skip these checks"
          + " explicitly with -D" + SKIP_PROPERTY + "=true.");
    }
    return found.toString();
  }

  /** Runs a command in {@code directory}; fails on a timeout. Returns exit status and output. */
  public static Result run(List<String> cmd, Path directory, Path scratch) throws IOException, InterruptedException {
    File out = Files.createTempFile(scratch, "promtool-", ".out").toFile();
    Process p = new ProcessBuilder(cmd).directory(directory.toFile()).redirectErrorStream(true)
        .redirectOutput(out).start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Assertions.fail(String.join(" ", cmd) + " did not finish within " + TIMEOUT_SECONDS + " s");
    }
    return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8));
  }

  /** An executable path as given, or a command name looked up on the PATH; null when not found. */
  public static @Nullable Path find(String command) {
    if (command.contains(File.separator)) {
      Path p = Path.of(command);
      return Files.isExecutable(p) ? p.toAbsolutePath() : null;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Path.of(dir, command);
      }
    }
    return null;
  }

  /** A YAML double-quoted scalar. */
  public static String quoted(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  /**
   * Grafana variables replaced by values PromQL accepts: intervals by 5m, everything else by ".+" (not
   * ".*", which would also match a label the series does not have, hiding a wrong label name).
   */
  public static String withSampleVariables(String expr) {
    return expr.replaceAll("\\$__(rate_interval|interval|range)\\b", "5m")
        .replaceAll("\\$\\{[a-z_]+(:[a-z]+)?}|\\$[a-z_]+", ".+");
  }

  /**
   * Scrape lines (Prometheus text format) to promtool input series: counters grow by their value each
   * minute for 15 minutes, gauges stay at theirs.
   */
  public static Map<String, String> inputSeries(String exposition) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      String value = line.substring(space + 1);
      String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
      boolean counter = COUNTER_SUFFIXES.stream().anyMatch(name::endsWith);
      String values;
      if (value.equals("NaN")) {
        values = String.join(" ", Collections.nCopies(16, "NaN"));
      } else {
        double v = Double.parseDouble(value);
        if (Double.isInfinite(v)) {
          continue;
        }
        String plain = BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        values = counter ? "0+" + plain + "x15" : plain + "x15";
      }
      out.put(series, values);
    }
    return out;
  }

  /**
   * A promtool rule-test file in which each query must return at least one series at minute 15 of the
   * scrape's {@linkplain #inputSeries input series}: the query is tested as {@code group(query) == 1}.
   */
  public static String queriesReturnDataTest(String exposition, Iterable<String> queries, List<Path> ruleFiles) {
    StringBuilder yaml = new StringBuilder();
    for (Path rf : ruleFiles) {
      yaml.append(yaml.isEmpty() ? "rule_files:\n" : "").append("  - ").append(quoted(rf.toString())).append('\n');
    }
    yaml.append("evaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n");
    inputSeries(exposition).forEach((s, values) -> yaml.append("      - series: '").append(s.replace("'", "''"))
        .append("'\n").append("        values: '").append(values).append("'\n"));
    yaml.append("    promql_expr_test:\n");
    for (String q : queries) {
      yaml.append("      - expr: ").append(quoted("group(" + q + ")")).append('\n')
          .append("        eval_time: 15m\n")
          .append("        exp_samples:\n          - labels: '{}'\n            value: 1\n");
    }
    return yaml.toString();
  }

  /** Exit status and output of a promtool run. */
  public record Result(int exit, String output) {}
}
