package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Alert rules: severities, runbooks, the alerts issue 7 asks for, and promtool cases for each. */
class AlertRulesTest {
  private static final Set<String> REQUIRED = Set.of(
      "InferenceHighErrorRate", "InferenceLatencyP99AboveSlo", "InferenceServerQueueBacklog", "GpuMemoryHigh",
      "InferenceErrorBudgetFastBurn", "InferenceErrorBudgetSlowBurn", "InferenceDriftDetected",
      "InferenceClientFailuresWhileServerReady");
  private static final Set<String> RUNBOOKS = Set.of("high-latency.md", "error-spikes.md", "gpu-memory.md",
      "drift.md", "burn-rate.md", "client-server-disagreement.md");

  @Test
  void theRequiredAlertsExist() {
    assertThat(Assets.alerts().keySet()).containsAll(REQUIRED);
  }

  @Test
  void everyAlertHasASeveritySummaryDescriptionAndAnExistingRunbookThatNamesIt() {
    assertThat(Assets.alerts()).isNotEmpty();
    for (Map.Entry<String, Map<String, Object>> a : Assets.alerts().entrySet()) {
      String name = a.getKey();
      Map<String, Object> labels = map(a.getValue().get("labels"));
      Map<String, Object> ann = map(a.getValue().get("annotations"));
      assertThat(labels.get("severity")).as(name + " severity").isIn("critical", "warning", "info");
      assertThat(String.valueOf(ann.get("summary"))).as(name + " summary").isNotBlank().isNotEqualTo("null");
      assertThat(String.valueOf(ann.get("description"))).as(name + " description").isNotBlank().isNotEqualTo("null");
      String url = String.valueOf(ann.get("runbook_url"));
      assertThat(url).as(name + " runbook_url").startsWith(Assets.RUNBOOK_BASE + "observability/runbooks/")
          .endsWith(".md");
      Path file = Assets.ROOT.resolve(url.substring(Assets.RUNBOOK_BASE.length()));
      assertThat(file).as(name + " runbook file").isRegularFile();
      assertThat(Assets.read(file)).as(file + " mentions " + name).contains(name);
    }
  }

  @Test
  void theRunbooksIssue7AsksForExist() {
    for (String r : RUNBOOKS) {
      Path p = Assets.DIR.resolve("runbooks").resolve(r);
      assertThat(p).isRegularFile();
      assertThat(Assets.read(p)).as(r).startsWith("# ").hasSizeGreaterThan(800);
    }
  }

  @Test
  void burnRateAlertsUseTheMultiWindowPairs() {
    String fast = String.valueOf(Assets.alerts().get("InferenceErrorBudgetFastBurn").get("expr"));
    assertThat(fast).contains("slo_error_ratio:rate5m > (14.4 * 0.001)", "slo_error_ratio:rate1h > (14.4 * 0.001)");
    String slow = String.valueOf(Assets.alerts().get("InferenceErrorBudgetSlowBurn").get("expr"));
    assertThat(slow).contains("slo_error_ratio:rate30m > (6 * 0.001)", "slo_error_ratio:rate6h > (6 * 0.001)");
    for (String window : new String[] {"5m", "30m", "1h", "6h"}) {
      Map<String, Object> rule = Assets.rules().get("inferscope-alerts.yml: inferscope:slo_error_ratio:rate" + window);
      assertThat(rule).as("recording rule for " + window).isNotNull();
      assertThat(String.valueOf(rule.get("expr")))
          .contains("inference_client_duration_seconds_count{outcome=\"error\"", "[" + window + "]");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyAlertHasAFiringAndANonFiringPromtoolCase() {
    Map<String, int[]> cases = new HashMap<>();
    List<String> ruleFilesCovered = new ArrayList<>();
    for (Path f : Assets.ruleTestFiles()) {
      Map<String, Object> doc = Assets.yaml(f);
      for (Object rf : (List<Object>) doc.get("rule_files")) {
        ruleFilesCovered.add(f.getParent().resolve(String.valueOf(rf)).normalize().getFileName().toString());
      }
      for (Object t : (List<Object>) doc.get("tests")) {
        for (Object a : (List<Object>) ((Map<String, Object>) t).getOrDefault("alert_rule_test", List.of())) {
          Map<String, Object> at = (Map<String, Object>) a;
          int[] c = cases.computeIfAbsent(String.valueOf(at.get("alertname")), k -> new int[2]);
          List<Object> expected = (List<Object>) at.get("exp_alerts");
          c[expected == null || expected.isEmpty() ? 1 : 0]++;
        }
      }
    }
    for (Path rf : Assets.ruleFiles()) {
      assertThat(ruleFilesCovered).as("a promtool test file loads " + rf.getFileName()).contains(rf.getFileName().toString());
    }
    List<String> missing = new ArrayList<>();
    for (String alert : Assets.alerts().keySet()) {
      int[] c = cases.getOrDefault(alert, new int[2]);
      if (c[0] == 0) {
        missing.add(alert + ": no firing case");
      }
      if (c[1] == 0) {
        missing.add(alert + ": no non-firing case");
      }
    }
    assertThat(missing).isEmpty();
    assertThat(cases.keySet()).as("tests name only existing alerts").isSubsetOf(Assets.alerts().keySet());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
