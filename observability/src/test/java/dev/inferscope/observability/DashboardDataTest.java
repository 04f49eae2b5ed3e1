package dev.inferscope.observability;

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
  private static final Set<String> COUNTER_SUFFIXES = Set.of("_total", "_count", "_sum", "_bucket");

  @TempDir
  static Path tmp;

  private String promtool;

  @BeforeEach
  void requirePromtool() {
    promtool = Promtool.require();
  }

  @Test
  void queriesOnSdkMetricsReturnDataFromARealScrape() throws Exception {
    Map<String, String> series = inputSeries(SdkScrape.text());
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

    StringBuilder yaml = new StringBuilder();
    for (Path rf : Assets.ruleFiles()) {
      yaml.append(yaml.isEmpty() ? "rule_files:\n" : "").append("  - ").append(Promtool.quoted(rf.toString())).append('\n');
    }
    yaml.append("evaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n");
    series.forEach((s, values) -> yaml.append("      - series: '").append(s.replace("'", "''")).append("'\n")
        .append("        values: '").append(values).append("'\n"));
    yaml.append("    promql_expr_test:\n");
    for (String q : queries.values()) {
      yaml.append("      - expr: ").append(Promtool.quoted("group(" + q + ")")).append('\n')
          .append("        eval_time: 15m\n")
          .append("        exp_samples:\n          - labels: '{}'\n            value: 1\n");
    }
    Path file = tmp.resolve("dashboards-on-sdk-data.yml");
    Files.writeString(file, yaml.toString());
    Promtool.Result r = Promtool.run(List.of(promtool, "test", "rules", file.toString()), tmp);
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

  /** Scrape lines to promtool input series: counters grow by their value each minute, gauges stay. */
  static Map<String, String> inputSeries(String exposition) {
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
        values = String.join(" ", java.util.Collections.nCopies(16, "NaN"));
      } else {
        double v = Double.parseDouble(value);
        if (Double.isInfinite(v)) {
          continue;
        }
        String plain = java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        values = counter ? "0+" + plain + "x15" : plain + "x15";
      }
      out.put(series, values);
    }
    return out;
  }

  @Test
  void scrapeLinesBecomeInputSeries() {
    Map<String, String> s = inputSeries("# TYPE x counter\nx_total{a=\"b\"} 2.0\ng{a=\"c d\"} 1.5\nh NaN\n");
    assertThat(s).containsEntry("x_total{a=\"b\"}", "0+2x15").containsEntry("g{a=\"c d\"}", "1.5x15");
    assertThat(inputSeries("small 1.0E-4\n")).containsEntry("small", "0.0001x15");
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
