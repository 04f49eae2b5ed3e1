package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds and runs promtool for the tests. Without promtool on the PATH (or at
 * {@code -Dinferscope.promtool=/path/to/promtool}) a test that needs it fails and says how to install it,
 * unless {@code -Dinferscope.promtool.skip=true} is given, which reports it as skipped.
 */
final class Promtool {
  static final String SKIP_PROPERTY = "inferscope.promtool.skip";
  static final String PROMTOOL_PROPERTY = "inferscope.promtool";
  static final long TIMEOUT_SECONDS = 60;

  private Promtool() {}

  /** The promtool executable; aborts (skips) or fails the calling test when there is none. */
  static String require() {
    if (Boolean.getBoolean(SKIP_PROPERTY)) {
      Assumptions.abort("promtool checks skipped because -D" + SKIP_PROPERTY + "=true");
    }
    String wanted = System.getProperty(PROMTOOL_PROPERTY, "promtool");
    Path found = find(wanted);
    if (found == null) {
      fail("promtool is not installed (looked for '" + wanted + "' on the PATH), so the alert rules cannot be "
          + "checked. Install it (Debian/Ubuntu: apt-get install prometheus; or take promtool from a Prometheus "
          + "2.42+ release and put it on the PATH or pass -D" + PROMTOOL_PROPERTY + "=/path/to/promtool), or skip "
          + "these checks explicitly with -D" + SKIP_PROPERTY + "=true.");
    }
    return found.toString();
  }

  /** Runs a command in the module directory; fails on a timeout. Returns exit status and output. */
  static Result run(List<String> cmd, Path scratch) throws IOException, InterruptedException {
    File out = Files.createTempFile(scratch, "promtool-", ".out").toFile();
    Process p = new ProcessBuilder(cmd).directory(Assets.DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(out).start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail(String.join(" ", cmd) + " did not finish within " + TIMEOUT_SECONDS + " s");
    }
    return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8));
  }

  /** Runs a command that must succeed and print SUCCESS; returns its output. */
  static String runOk(List<String> cmd, Path scratch) throws IOException, InterruptedException {
    Result r = run(cmd, scratch);
    assertThat(r.exit()).as(String.join(" ", cmd) + " exit status; output:\n" + r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS").doesNotContain("FAILED");
    return r.output();
  }

  /** An executable path as given, or a command name looked up on the PATH; null when not found. */
  static Path find(String command) {
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
  static String quoted(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  /**
   * Grafana variables replaced by values PromQL accepts: intervals by 5m, everything else by ".+" (not
   * ".*", which would also match a label the series does not have, hiding a wrong label name).
   */
  static String withSampleVariables(String expr) {
    return expr.replaceAll("\\$__(rate_interval|interval|range)\\b", "5m")
        .replaceAll("\\$\\{[a-z_]+(:[a-z]+)?}|\\$[a-z_]+", ".+");
  }

  record Result(int exit, String output) {}
}
