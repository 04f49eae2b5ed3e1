package dev.inferscope.observability;

import dev.inferscope.testkit.prometheus.Promtool;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code promtool check rules} and {@code promtool test rules} over the rule and test files, and a
 * syntax check of every dashboard query. See {@link Promtool} for what happens without promtool.
 */
class PromtoolTest {
  @TempDir
  static Path tmp;

  private String promtool;

  /** Per test, so that a skip shows as skipped tests in the report, not as nothing. */
  @BeforeEach
  void requirePromtool() {
    promtool = Promtool.require();
  }

  @Test
  void checkRules() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(promtool, "check", "rules"));
    Assets.ruleFiles().forEach(p -> cmd.add(Assets.DIR.relativize(p).toString()));
    runOk(cmd, tmp);
  }

  @Test
  void unitTestRules() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(promtool, "test", "rules"));
    Assets.ruleTestFiles().forEach(p -> cmd.add(Assets.DIR.relativize(p).toString()));
    runOk(cmd, tmp);
  }

  /**
   * Every dashboard query is valid PromQL: each becomes a recording rule (Grafana variables replaced by
   * sample values) in a temporary file that promtool checks.
   */
  @Test
  void dashboardQueriesAreValidPromQl() throws Exception {
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
    int n = 0;
    for (Path d : Assets.dashboardFiles()) {
      for (JsonNode panel : Assets.panels(Assets.json(d))) {
        for (JsonNode t : panel.path("targets")) {
          rules.append("      - record: dashboard:query").append(++n).append('\n')
              .append("        expr: ").append(Promtool.quoted(Promtool.withSampleVariables(t.path("expr").asString(""))))
              .append('\n');
        }
      }
    }
    assertThat(n).isGreaterThan(40);
    Path file = tmp.resolve("dashboard-queries.yml");
    Files.writeString(file, rules.toString());
    assertThat(runOk(List.of(promtool, "check", "rules", file.toString()), tmp))
        .contains("SUCCESS: " + n + " rules found");
  }

  @Test
  void sampleVariablesReplaceGrafanaVariables() {
    assertThat(Promtool.withSampleVariables("rate(x{m=~\"$model\",f=~\"${feature}\",g=~\"${gpu:regex}\"}[$__rate_interval])"))
        .isEqualTo("rate(x{m=~\".+\",f=~\".+\",g=~\".+\"}[5m])");
  }

  @Test
  void promtoolNoticesABrokenRule() throws Exception {
    Path broken = tmp.resolve("broken.yml");
    Files.writeString(broken, "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(x[5m]\n");
    Promtool.Result r = Promtool.run(List.of(promtool, "check", "rules", broken.toString()), Assets.DIR, tmp);
    assertThat(r.exit()).as(r.output()).isNotZero();
  }

  /** Runs a promtool command that must succeed and print SUCCESS; returns its output. */
  private static String runOk(List<String> cmd, Path scratch) throws Exception {
    Promtool.Result r = Promtool.run(cmd, Assets.DIR, scratch);
    assertThat(r.exit()).as(String.join(" ", cmd) + " exit status; output:\n" + r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS").doesNotContain("FAILED");
    return r.output();
  }
}
