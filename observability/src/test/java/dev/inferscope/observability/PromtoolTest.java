package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code promtool check rules} and {@code promtool test rules}. Without promtool on the PATH (or
 * at {@code -Dinferscope.promtool=/path/to/promtool}) the tests fail and say how to install it, unless
 * {@code -Dinferscope.promtool.skip=true} is given, which reports them as skipped.
 */
class PromtoolTest {
  static final String SKIP_PROPERTY = "inferscope.promtool.skip";
  static final String PROMTOOL_PROPERTY = "inferscope.promtool";
  private static final long TIMEOUT_SECONDS = 60;

  @TempDir
  static Path tmp;

  private static String promtool = "promtool";

  /** Per test, so that a skip shows as three skipped tests in the report, not as nothing. */
  @BeforeEach
  void requirePromtool() {
    if (Boolean.getBoolean(SKIP_PROPERTY)) {
      Assumptions.abort("promtool checks skipped because -D" + SKIP_PROPERTY + "=true");
    }
    Path found = find(System.getProperty(PROMTOOL_PROPERTY, "promtool"));
    if (found == null) {
      fail("promtool is not installed (looked for '" + System.getProperty(PROMTOOL_PROPERTY, "promtool")
          + "' on the PATH), so the alert rules cannot be checked. Install it (Debian/Ubuntu: apt-get install "
          + "prometheus; or take promtool from a Prometheus 2.42+ release and put it on the PATH or pass -D"
          + PROMTOOL_PROPERTY + "=/path/to/promtool), or skip these checks explicitly with -D" + SKIP_PROPERTY
          + "=true.");
    }
    promtool = found.toString();
  }

  @Test
  void checkRules() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(promtool, "check", "rules"));
    Assets.ruleFiles().forEach(p -> cmd.add(Assets.DIR.relativize(p).toString()));
    String out = run(cmd);
    assertThat(out).contains("SUCCESS").doesNotContain("FAILED");
  }

  @Test
  void unitTestRules() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(promtool, "test", "rules"));
    Assets.ruleTestFiles().forEach(p -> cmd.add(Assets.DIR.relativize(p).toString()));
    String out = run(cmd);
    assertThat(out).contains("SUCCESS").doesNotContain("FAILED");
  }

  @Test
  void promtoolNoticesABrokenRule() throws Exception {
    Path broken = tmp.resolve("broken.yml");
    Files.writeString(broken, "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(x[5m]\n");
    Process p = new ProcessBuilder(promtool, "check", "rules", broken.toString()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("broken.out").toFile()).start();
    assertThat(p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("broken.out"))).isNotZero();
  }

  private static String run(List<String> cmd) throws Exception {
    File out = tmp.resolve("promtool-" + System.nanoTime() + ".out").toFile();
    Process p = new ProcessBuilder(cmd).directory(Assets.DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(out).start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail(String.join(" ", cmd) + " did not finish within " + TIMEOUT_SECONDS + " s");
    }
    String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(String.join(" ", cmd) + " exit status; output:\n" + text).isZero();
    return text;
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
}
