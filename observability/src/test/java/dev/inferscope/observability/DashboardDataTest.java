package dev.inferscope.observability;

import dev.inferscope.testkit.prometheus.Promtool;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Dashboard queries and recording rules return data when fed with what the SDK really exports: the
 * series of a real scrape ({@link SdkScrape}, labels and all) become promtool input series (counters
 * growing by their value each minute, gauges constant) and every query whose metrics the scrape holds
 * must give a non-empty result ({@code group(query)} is 1). This catches label mismatches
 * ({@code gen_ai_request_model} versus {@code model}, {@code error_type} values, phase names) that a
 * name check cannot. Queries on Triton, vLLM or dcgm series, and on gauges only the client modules
 * register, are checked by name and syntax only.
 */
class DashboardDataTest {

  @TempDir
  static Path tmp;

  private String promtool;

  @BeforeEach
  void requirePromtool() {
    promtool = Promtool.require();
  }

  @Test
  void queriesOnSdkMetricsReturnDataFromARealScrape() throws Exception {
    Set<String> available = SdkMetricNamesTest.namesIn(SdkScrape.text());
    Map<String, String> sources = new HashMap<>();
    Assets.contract().forEach(e -> sources.put(e.name(), e.source()));
    Map<String, Map<String, Object>> records = new HashMap<>();
    Assets.rules().values().stream().filter(r -> r.containsKey("record"))
        .forEach(r -> records.put(String.valueOf(r.get("record")), r));

    Map<String, String> queries = new LinkedHashMap<>();
    for (Path d : Assets.dashboardFiles()) {
      for (JsonNode panel : Assets.panels(Assets.json(d))) {
        for (JsonNode t : panel.path("targets")) {
          String expr = t.path("expr").asString("");
          if (answerable(expr, available, records)) {
            queries.put(d.getFileName() + " / " + panel.path("title").asString() + " / " + t.path("refId").asString(),
                Promtool.withSampleVariables(expr));
          }
        }
      }
    }
    for (String record : records.keySet()) {
      if (answerable(record, available, records)) {
        queries.put("recording rule " + record, record);
      }
    }
    assertThat(queries).as("queries answerable from the SDK's own series").hasSizeGreaterThan(30);

    String yaml = Promtool.queriesReturnDataTest(SdkScrape.text(), queries.values(), Assets.ruleFiles());
    Path file = tmp.resolve("dashboards-on-sdk-data.yml");
    Files.writeString(file, yaml);
    Promtool.Result r = Promtool.run(List.of(promtool, "test", "rules", file.toString()), Assets.DIR, tmp);
    assertThat(r.exit()).as("queries with no data from the SDK's series (a query whose result is 'got: nil' selects "
        + "labels or values the SDK does not export):\n" + explain(r.output(), queries)).isZero();
  }

  /** Whether all metrics of the expression come from the scrape (or from recording rules built on it). */
  private static boolean answerable(String expr, Set<String> available, Map<String, Map<String, Object>> records) {
    Set<String> metrics = PromQl.metrics(expr);
    if (metrics.isEmpty()) {
      return false;
    }
    for (String m : metrics) {
      Map<String, Object> rule = records.get(m);
      boolean ok = rule != null
          ? answerable(String.valueOf(rule.get("expr")), available, Map.of())
          : available.contains(m);
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  @Test
  void scrapeLinesBecomeInputSeries() {
    Map<String, String> s = Promtool.inputSeries("# TYPE x counter\nx_total{a=\"b\"} 2.0\ng{a=\"c d\"} 1.5\nh NaN\n");
    assertThat(s).containsEntry("x_total{a=\"b\"}", "0+2x15").containsEntry("g{a=\"c d\"}", "1.5x15");
    assertThat(Promtool.inputSeries("small 1.0E-4\n")).containsEntry("small", "0.0001x15");
    assertThat(s.get("h")).startsWith("NaN NaN");
  }

  private static String explain(String output, Map<String, String> queries) {
    List<String> lines = new ArrayList<>();
    queries.forEach((where, q) -> {
      // promtool prints the expression Go-quoted
      if (output.contains("group(" + q.replace("\\", "\\\\").replace("\"", "\\\"") + ")")) {
        lines.add("  " + where + ": " + q);
      }
    });
    return String.join("\n", lines) + "\n--- promtool output ---\n" + output;
  }
}
